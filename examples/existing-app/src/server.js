// Starts the notes service: `AUTH_SCHEME=jwt node src/server.js`.
import { createApp } from './app.js';

const service = await createApp(process.env);
for (const notice of service.notices) console.warn(notice);
console.log(`authbench: ${service.auth.schemes.map((s) => s.name).join(', ')}; ${service.auth.description}`);

const port = Number(process.env.PORT || 3000);
const host = process.env.HOST || '127.0.0.1';
const server = service.app.listen(port, host, () => console.log(`notes service on http://${host}:${port}`));

const stop = () => {
  server.close(() => void service.close());
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
