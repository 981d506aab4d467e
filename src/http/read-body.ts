import type { IncomingMessage } from 'node:http';

/** Reads the body; past `limit` it keeps draining (so the client gets its 413) but keeps nothing. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= limit) chunks.push(chunk as Buffer);
    else if (size > limit * 16) req.destroy(); // a sender that will not stop gets no answer at all
  }
  return size > limit ? 'too-large' : Buffer.concat(chunks);
}
