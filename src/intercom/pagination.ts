import type { Pages } from './schemas.ts';

/** A listing's page as Intercom answers it: its items under some key, and `pages`. */
type PageOf = { pages?: Pages | null | undefined };

/**
 * Walks a cursor-paginated listing: search endpoints (cursor in the body) and lists (cursor in the query) alike;
 * `load` decides where the cursor goes, `items` where the page keeps its items. Stops when
 * `pages.next.starting_after` is absent, or repeats.
 */
export async function* cursorPaginate<P extends PageOf, T>(
  load: (startingAfter: string | undefined) => Promise<P>,
  items: (page: P) => readonly T[],
): AsyncGenerator<T, void, undefined> {
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (;;) {
    const page = await load(cursor);
    yield* items(page);
    const next = page.pages?.next;
    const nextCursor = typeof next === 'object' && next ? (next.starting_after ?? undefined) : undefined;
    if (!nextCursor || seen.has(nextCursor)) return;
    seen.add(nextCursor);
    cursor = nextCursor;
  }
}

/**
 * Walks a page-number listing (articles, notes), starting at page 1. Stops after `total_pages` when Intercom
 * says it, else at the first empty page.
 */
export async function* pagePaginate<P extends PageOf, T>(
  load: (page: number) => Promise<P>,
  items: (page: P) => readonly T[],
): AsyncGenerator<T, void, undefined> {
  for (let number = 1; ; number++) {
    const page = await load(number);
    const found = items(page);
    yield* found;
    const total = page.pages?.total_pages;
    if (found.length === 0 || (typeof total === 'number' && number >= total)) return;
  }
}
