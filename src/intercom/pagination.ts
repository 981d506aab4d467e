import type { Pages } from './schemas.ts';

/** One page of a listing, whatever its style. */
export interface Page<T> {
  items: readonly T[];
  pages?: Pages | null | undefined;
}

/**
 * Walks a cursor-paginated listing: search endpoints (cursor in the body) and lists (cursor in the query) alike;
 * `fetchPage` decides where the cursor goes. Stops when `pages.next.starting_after` is absent, or repeats.
 */
export async function* cursorPaginate<T>(
  fetchPage: (startingAfter: string | undefined) => Promise<Page<T>>,
): AsyncGenerator<T, void, undefined> {
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (;;) {
    const page = await fetchPage(cursor);
    yield* page.items;
    const next = page.pages?.next;
    const nextCursor = typeof next === 'object' && next ? (next.starting_after ?? undefined) : undefined;
    if (!nextCursor || seen.has(nextCursor)) return;
    seen.add(nextCursor);
    cursor = nextCursor;
  }
}

/**
 * Walks a page-number listing (articles, notes, help centers), starting at page 1. Stops after `total_pages`
 * when Intercom says it, else at the first empty page.
 */
export async function* pagePaginate<T>(
  fetchPage: (page: number) => Promise<Page<T>>,
): AsyncGenerator<T, void, undefined> {
  for (let page = 1; ; page++) {
    const result = await fetchPage(page);
    yield* result.items;
    const total = result.pages?.total_pages;
    if (result.items.length === 0 || (typeof total === 'number' && page >= total)) return;
  }
}
