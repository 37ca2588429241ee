'use strict';
/**
 * A loopback TCP proxy in front of a database that can be cut (every connection closed, new ones
 * refused) and restored: how the contract suite takes the database away from a running chat
 * (test/contract, "when the database is away"), on the stand-in and on real LibreChat.
 *
 *   const p = await startCutProxy({ target: '127.0.0.1:27017' });   // p.port, p.cut(), p.restore()
 *   node scripts/lib/cut-proxy.js <target host:port> [listen port] [control port]
 * The command form prints `ready <port> <control URL>`; the control answers POST /cut,
 * POST /restore and GET / (the state), on loopback only.
 */
const net = require('node:net');
const http = require('node:http');

async function startCutProxy({ target, port = 0, controlPort }) {
  const [host, tport] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const sockets = new Set();
  let server;
  let cut = false;
  const listen = (p) =>
    new Promise((resolve, reject) => {
      server = net.createServer((client) => {
        const upstream = net.connect(tport, host);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => s.destroy());
        }
        client.pipe(upstream).pipe(client);
      });
      server.once('error', reject);
      server.listen(p, '127.0.0.1', () => resolve(server.address().port));
    });
  const bound = await listen(port);
  const proxy = {
    port: bound,
    get isCut() {
      return cut;
    },
    cut: () =>
      new Promise((resolve) => {
        cut = true;
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
    restore: async () => {
      if (!cut) return;
      await listen(bound);
      cut = false;
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        if (control) control.close();
        if (cut) return resolve();
        server.close(() => resolve());
      }),
    controlUrl: undefined,
  };
  let control;
  if (controlPort !== undefined) {
    control = http.createServer(async (req, res) => {
      if (req.method === 'POST' && req.url === '/cut') await proxy.cut();
      else if (req.method === 'POST' && req.url === '/restore') await proxy.restore();
      else if (!(req.method === 'GET' && req.url === '/')) return res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ cut }));
    });
    await new Promise((r) => control.listen(controlPort, '127.0.0.1', r));
    proxy.controlUrl = `http://127.0.0.1:${control.address().port}`;
  }
  return proxy;
}

module.exports = { startCutProxy };

if (require.main === module) {
  const [target, port = '0', controlPort = '0'] = process.argv.slice(2);
  if (!target || !/:\d+$/.test(target)) {
    console.error('usage: node scripts/lib/cut-proxy.js <target host:port> [listen port] [control port]');
    process.exit(2);
  }
  startCutProxy({ target, port: Number(port), controlPort: Number(controlPort) }).then(
    (p) => {
      console.log(`ready ${p.port} ${p.controlUrl}`);
      const stop = () => p.close().then(() => process.exit(0));
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    },
    (e) => {
      console.error(`cut-proxy: ${e.message}`);
      process.exit(1);
    },
  );
}
