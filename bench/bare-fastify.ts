// The baseline process of `npm run bench:service`: Fastify with one route answering `{ ok: true }`,
// no logger, no plugins, no database. It listens on a free loopback port, prints `{"port":N}` once
// and serves until SIGTERM.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/ok', async () => ({ ok: true }));
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
console.log(JSON.stringify({ port: typeof address === 'object' && address ? address.port : null }));
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
