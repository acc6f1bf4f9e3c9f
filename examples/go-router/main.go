// A sipmesh routing policy written in Go, from the bus contract alone (contracts/schemas/v1):
// it joins the router queue group on sipmesh.route.v1.<policy>, and answers each route request
// on its reply subject with an rtjson route set chosen by the longest prefix of the Request-URI
// user, or with a reply when no prefix matches.
//
//	POLICY=default ROUTES="9=sip:10.0.0.10:5060,91=sip:10.0.0.11:5060" NATS_URL=nats://127.0.0.1:4222 ./go-router
//
// Build offline with Debian's golang-go and golang-github-nats-io-go-nats-dev, in GOPATH mode:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o go-router .
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/nats-io/nats.go"
)

// The parts of a route request (route-request.json) this policy reads.
type routeRequest struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  string          `json:"method"`
	Params  *struct {
		Version   string `json:"version"`
		Method    string `json:"method"`
		RURI      string `json:"ruri"`
		RURIParts struct {
			User string `json:"user"`
			Host string `json:"host"`
		} `json:"ruri_parts"`
	} `json:"params"`
}

type route struct {
	DstURI string `json:"dst_uri"`
}

type reply struct {
	Code   int    `json:"code"`
	Reason string `json:"reason"`
}

// A route answer (route-answer.json): routes or a reply.
type answer struct {
	Version string  `json:"version"`
	Routing string  `json:"routing,omitempty"`
	Routes  []route `json:"routes,omitempty"`
	Reply   *reply  `json:"reply,omitempty"`
	Policy  string  `json:"policy"`
}

type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// The continue message (continue.json): result or error, with the request's id.
type continueMessage struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  *answer         `json:"result,omitempty"`
	Error   *rpcError       `json:"error,omitempty"`
}

type prefixRoute struct {
	prefix string
	dst    string
}

func parseRoutes(spec string) ([]prefixRoute, error) {
	var out []prefixRoute
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		eq := strings.Index(item, "=")
		if eq < 0 || !strings.HasPrefix(strings.ToLower(item[eq+1:]), "sip") {
			return nil, fmt.Errorf("route %q is not prefix=sip-uri", item)
		}
		out = append(out, prefixRoute{prefix: item[:eq], dst: item[eq+1:]})
	}
	// longest prefix first
	sort.SliceStable(out, func(i, j int) bool { return len(out[i].prefix) > len(out[j].prefix) })
	return out, nil
}

func decide(routes []prefixRoute, policy string, req *routeRequest) continueMessage {
	msg := continueMessage{JSONRPC: "2.0", ID: req.ID}
	if len(msg.ID) == 0 {
		msg.ID = json.RawMessage("null")
	}
	if req.JSONRPC != "2.0" || req.Method != "route" || req.Params == nil || req.Params.RURI == "" {
		msg.Error = &rpcError{Code: -32602, Message: "not a route request"}
		return msg
	}
	major := strings.SplitN(req.Params.Version, ".", 2)[0]
	if major != "1" {
		msg.Error = &rpcError{Code: 1001, Message: fmt.Sprintf("version %s is newer than supported major 1", req.Params.Version)}
		return msg
	}
	user := req.Params.RURIParts.User
	for _, r := range routes {
		if strings.HasPrefix(user, r.prefix) {
			msg.Result = &answer{Version: "1.0", Routing: "serial", Routes: []route{{DstURI: r.dst}}, Policy: policy}
			return msg
		}
	}
	msg.Result = &answer{Version: "1.0", Reply: &reply{Code: 404, Reason: "No route"}, Policy: policy}
	return msg
}

func main() {
	policy := getenv("POLICY", "default")
	url := getenv("NATS_URL", nats.DefaultURL)
	routes, err := parseRoutes(os.Getenv("ROUTES"))
	if err != nil {
		log.Fatal(err)
	}
	closed := make(chan struct{})
	nc, err := nats.Connect(url, nats.Name("go-router-"+policy), nats.MaxReconnects(-1), nats.ClosedHandler(func(*nats.Conn) { close(closed) }))
	if err != nil {
		log.Fatalf("cannot connect to %s: %v", url, err)
	}
	subject := "sipmesh.route.v1." + policy
	_, err = nc.QueueSubscribe(subject, "sipmesh-router", func(m *nats.Msg) {
		var req routeRequest
		var out continueMessage
		if err := json.Unmarshal(m.Data, &req); err != nil {
			out = continueMessage{JSONRPC: "2.0", ID: json.RawMessage("null"), Error: &rpcError{Code: -32700, Message: "route request is not JSON"}}
		} else {
			out = decide(routes, policy, &req)
		}
		data, _ := json.Marshal(out)
		if m.Reply != "" {
			_ = m.Respond(data)
		}
	})
	if err != nil {
		log.Fatalf("cannot subscribe to %s: %v", subject, err)
	}
	if err := nc.Flush(); err != nil {
		log.Fatal(err)
	}
	log.Printf("answering %s in queue group sipmesh-router (%d routes)", subject, len(routes))
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	// finish the requests in hand, then leave the queue group
	if err := nc.Drain(); err != nil {
		nc.Close()
	}
	<-closed
}

func getenv(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
