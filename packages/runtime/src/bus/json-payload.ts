/** UTF-8 JSON decoding of a payload without copying the bytes. */
export function parseJsonPayload<T>(data: Uint8Array): T {
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  // The caller names the expected type; validating it is the job of the contracts layer.
  return JSON.parse(text) as T;
}
