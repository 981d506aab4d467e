import { type CallOptions, path } from '../http.ts';
import { pagePaginate } from '../pagination.ts';
import { Article, ArticleList, ArticleSearchResponse, HelpCenterList } from '../schemas.ts';
import { Resource } from './resource.ts';

export interface ArticleSearch {
  phrase: string;
  /** Defaults to `published`: drafts have no public URL. */
  state?: 'published' | 'draft' | 'all';
  helpCenterId?: number;
  /** Ask for highlighted title and summary snippets. */
  highlight?: boolean;
}

export class ArticlesApi extends Resource {
  /** One page of articles, most recently updated first. */
  list(page: { page?: number; perPage?: number } = {}, options?: CallOptions) {
    return this.http.call(
      { method: 'GET', path: '/articles', query: { page: page.page, per_page: page.perPage }, schema: ArticleList },
      options,
    );
  }

  listAll(perPage?: number, options?: CallOptions) {
    return pagePaginate(
      (page) => this.list({ page, perPage }, options),
      (result) => result.data,
    );
  }

  get(id: string, options?: CallOptions) {
    return this.http.call({ method: 'GET', path: path`/articles/${id}`, schema: Article }, options);
  }

  search(input: ArticleSearch, options?: CallOptions) {
    return this.http.call(
      {
        method: 'GET',
        path: '/articles/search',
        query: {
          phrase: input.phrase,
          state: input.state ?? 'published',
          help_center_id: input.helpCenterId,
          highlight: input.highlight,
        },
        schema: ArticleSearchResponse,
      },
      options,
    );
  }
}

export class HelpCentersApi extends Resource {
  async list(options?: CallOptions) {
    const result = await this.http.call(
      { method: 'GET', path: '/help_center/help_centers', schema: HelpCenterList },
      options,
    );
    return result.data;
  }
}
