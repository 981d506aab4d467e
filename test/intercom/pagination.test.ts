import { describe, expect, it } from 'vitest';
import { cursorPaginate, pagePaginate } from '../../src/intercom/pagination.ts';

const byItems = <T>(page: { items: T[] }) => page.items;

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('cursorPaginate', () => {
  it('follows pages.next.starting_after until it is absent', async () => {
    const cursors: Array<string | undefined> = [];
    const items = await collect(
      cursorPaginate(async (after) => {
        cursors.push(after);
        const n = after ? Number(after) : 0;
        return { items: [n, n + 1], pages: n < 4 ? { next: { starting_after: String(n + 2) } } : {} };
      }, byItems),
    );
    expect(items).toEqual([0, 1, 2, 3, 4, 5]);
    expect(cursors).toEqual([undefined, '2', '4']);
  });

  it('stops on a repeated cursor instead of looping forever', async () => {
    let calls = 0;
    const items = await collect(
      cursorPaginate(async () => {
        calls += 1;
        return { items: [calls], pages: { next: { starting_after: 'same' } } };
      }, byItems),
    );
    expect(items).toEqual([1, 2]);
  });

  it('treats a link-style next (a URL) as the end of cursor pages', async () => {
    const items = await collect(
      cursorPaginate(async () => ({ items: ['a'], pages: { next: 'https://x/next' } }), byItems),
    );
    expect(items).toEqual(['a']);
  });
});

describe('pagePaginate', () => {
  it('walks pages 1..total_pages', async () => {
    const pages: number[] = [];
    const items = await collect(
      pagePaginate(async (page) => {
        pages.push(page);
        return { items: [`p${page}`], pages: { total_pages: 3 } };
      }, byItems),
    );
    expect(items).toEqual(['p1', 'p2', 'p3']);
    expect(pages).toEqual([1, 2, 3]);
  });

  it('without total_pages stops at the first empty page', async () => {
    const items = await collect(pagePaginate(async (page) => ({ items: page < 3 ? [page] : [], pages: {} }), byItems));
    expect(items).toEqual([1, 2]);
  });
});
