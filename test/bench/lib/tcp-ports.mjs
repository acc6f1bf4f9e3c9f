/** TCP ports on 127.0.0.1 for the processes a bench starts: a free one, and whether one is taken. */
import { createServer } from 'node:net';

/** A TCP port nobody listens on now (the kernel's choice). */
export function freeTcpPort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (s.address());
      s.close(() => resolve(port));
    });
  });
}

/** Whether something listens on 127.0.0.1:`port` (it cannot be bound). */
export function portListens(port) {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(true));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(false)));
  });
}
