import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

// The floor for the webhook benchmark: read the body, check the HMAC, answer 200. Nothing stored, nothing parsed.

const secret = process.env.INTERCOM_CLIENT_SECRET ?? '';
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const expected = Buffer.from(`sha1=${createHmac('sha1', secret).update(Buffer.concat(chunks)).digest('hex')}`);
    const given = Buffer.from(String(req.headers['x-hub-signature'] ?? ''));
    const ok = given.length === expected.length && timingSafeEqual(given, expected);
    res.writeHead(ok ? 200 : 401).end();
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
