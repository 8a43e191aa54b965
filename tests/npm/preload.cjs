// Loaded with `node --require preload.cjs` before an npm MCP server in bench's tests.
//
// 1. Every TCP listen is forced onto 127.0.0.1: servers such as server-everything call
//    app.listen(PORT), which binds every interface; tests must never expose a port.
// 2. When BENCH_HEADERS_LOG names a file, the headers of every HTTP request are appended to
//    it as one JSON line, so a test can prove its headers reached the server.
"use strict";
const fs = require("node:fs");
const http = require("node:http");
const net = require("node:net");

const LOOPBACK = "127.0.0.1";
const originalListen = net.Server.prototype.listen;

net.Server.prototype.listen = function listenOnLoopback(...args) {
  const first = args[0];
  if (first !== null && typeof first === "object" && !Array.isArray(first)) {
    if (first.path === undefined && first.fd === undefined && first.handle === undefined) {
      args[0] = { ...first, host: LOOPBACK };
    }
    return originalListen.apply(this, args);
  }
  if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) {
    const callback = args.find((arg) => typeof arg === "function");
    return originalListen.call(this, { port: Number(first), host: LOOPBACK }, callback);
  }
  if (first === undefined || typeof first === "function") {
    return originalListen.call(this, { port: 0, host: LOOPBACK }, first);
  }
  return originalListen.apply(this, args); // a pipe or socket path: not a network port
};

const headersLog = process.env.BENCH_HEADERS_LOG;
if (headersLog) {
  const originalEmit = http.Server.prototype.emit;
  http.Server.prototype.emit = function emitWithHeaderLog(event, ...rest) {
    if (event === "request" && rest[0] && rest[0].headers) {
      fs.appendFileSync(headersLog, JSON.stringify(rest[0].headers) + "\n");
    }
    return originalEmit.call(this, event, ...rest);
  };
}
