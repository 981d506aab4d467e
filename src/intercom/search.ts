/** Operators of Intercom's search endpoints (conversations, contacts, tickets). */
export type SearchOperator = '=' | '!=' | 'IN' | 'NIN' | '<' | '<=' | '>' | '>=' | '~' | '!~' | '^' | '$';

export interface SearchFilter {
  field: string;
  operator: SearchOperator;
  value: string | number | boolean | null | Array<string | number>;
}

/** A filter or a group of them; Intercom allows two levels of nesting and 15 filters per group. */
export type SearchQuery = SearchFilter | { operator: 'AND' | 'OR'; value: SearchQuery[] };

export interface SearchPagination {
  perPage?: number | undefined;
  startingAfter?: string | undefined;
}

export function searchBody(query: SearchQuery, pagination: SearchPagination = {}) {
  const { perPage, startingAfter } = pagination;
  if (perPage === undefined && startingAfter === undefined) return { query };
  return { query, pagination: { per_page: perPage, starting_after: startingAfter } };
}
