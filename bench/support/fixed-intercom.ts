import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

// A fixed-answer Intercom stand-in for benchmarks, run as its own process (pinned to its own core when it can
// be) so its CPU time does not land on the clients being measured. It answers precomputed bodies shaped like
// Intercom's 2.14 responses and prints {"port": N} on stdout once listening.

const part = (i: number) => ({
  type: 'conversation_part',
  id: 7000 + i,
  part_type: i % 3 === 0 ? 'note' : 'comment',
  body: `<p>Part ${i}: thanks for waiting, I have looked into the export and found the cause.</p>`,
  created_at: 1_734_537_511 + i,
  updated_at: 1_734_537_511 + i,
  notified_at: 1_734_537_511 + i,
  assigned_to: null,
  author: { type: 'admin', id: '991267645', name: 'Alice Admin', email: 'alice@example.com' },
  attachments: [],
  external_id: null,
  redacted: false,
  app_package_code: null,
});

const conversation = JSON.stringify({
  type: 'conversation',
  id: '503',
  title: null,
  created_at: 1_734_537_511,
  updated_at: 1_734_537_611,
  waiting_since: null,
  snoozed_until: null,
  open: true,
  state: 'open',
  read: false,
  priority: 'not_priority',
  admin_assignee_id: 991_267_715,
  team_assignee_id: 5_017_691,
  tags: { type: 'tag.list', tags: [{ type: 'tag', id: '123456', name: 'vip', applied_at: 1_663_597_223 }] },
  conversation_rating: null,
  source: {
    type: 'conversation',
    id: '403918334',
    delivered_as: 'customer_initiated',
    subject: 'Export is empty',
    body: '<p>Hi, the CSV export I downloaded this morning is empty. Can you help?</p>',
    author: { type: 'user', id: '6762f1261bb69f9f2193bba7', name: 'Dana Customer', email: 'dana@acme.test' },
    attachments: [],
    url: null,
    redacted: false,
  },
  contacts: {
    type: 'contact.list',
    contacts: [{ type: 'contact', id: '6762f1261bb69f9f2193bba7', external_id: '70' }],
  },
  teammates: { type: 'admin.list', teammates: [] },
  custom_attributes: {},
  statistics: null,
  conversation_parts: {
    type: 'conversation_part.list',
    conversation_parts: Array.from({ length: 5 }, (_, i) => part(i)),
    total_count: 5,
  },
});

const contact = (i: number) => ({
  type: 'contact',
  id: `6762f1261bb69f9f2193b${String(i).padStart(3, '0')}`,
  workspace_id: 'wsp1test',
  external_id: String(i),
  role: 'user',
  email: `user${i}@acme.test`,
  phone: null,
  name: `User ${i}`,
  owner_id: null,
  created_at: 1_734_537_511,
  updated_at: 1_734_537_511,
  signed_up_at: 1_734_537_511,
  last_seen_at: 1_734_537_611,
  custom_attributes: { plan: 'pro' },
  location: { type: 'location', country: 'Ireland', region: 'Dublin', city: 'Dublin' },
  tags: { type: 'list', data: [], url: '', total_count: 0, has_more: false },
  companies: { type: 'list', data: [], url: '', total_count: 0, has_more: false },
});

const contacts = JSON.stringify({
  type: 'list',
  data: Array.from({ length: 10 }, (_, i) => contact(i)),
  total_count: 10,
  pages: { type: 'pages', page: 1, per_page: 10, total_pages: 1 },
});

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const body = req.method === 'POST' ? contacts : conversation;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
