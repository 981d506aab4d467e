import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';
import type { RecordedRequest } from './fake-intercom.ts';

type Schema = Record<string, unknown>;
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
}

/**
 * Where Intercom's published 2.14 description is known to be wrong, the one place we accept more than it says
 * (see ../shared/reference/intercom-api.md §1.3 and §1.4). Anything not listed here must match the document.
 */
const KNOWN_SPEC_GAPS = {
  /** Page-number listings take ?page=&per_page= (declared only in Intercom's SDK overrides, not in the spec). */
  undeclaredQuery: { listArticles: ['page', 'per_page'], listNotes: ['page', 'per_page'] } as Record<string, string[]>,
  /** Path ids typed integer although the ids are opaque strings (contact ids are 24-char hex). */
  opaquePathIds: { createNote: ['contact_id'] } as Record<string, string[]>,
};

export interface ContractResult {
  operationId: string | undefined;
  errors: string[];
}

/** Validates recorded requests (method, path, query, headers, JSON body) against an Intercom OpenAPI document. */
export class OpenApiContract {
  readonly #doc: Schema;
  readonly #ajv: Ajv;
  readonly #operations: Array<{
    method: string;
    pattern: RegExp;
    literalSegments: number;
    operationId: string;
    parameters: Parameter[];
    params: ValidateFunction;
    body: ValidateFunction | undefined;
    bodyRequired: boolean;
  }> = [];

  constructor(specFile: string) {
    this.#doc = parse(readFileSync(specFile, 'utf8'), { maxAliasCount: -1 }) as Schema;
    this.#ajv = new Ajv({ strict: false, allErrors: true, logger: false, validateSchema: false, coerceTypes: false });
    // ajv-formats is CommonJS: its default export arrives wrapped under ESM
    const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
      addFormatsModule) as typeof addFormatsModule.default;
    addFormats(this.#ajv);
    this.#ajv.addFormat('timestamp', true);
    const coercing = new Ajv({ strict: false, allErrors: true, logger: false, coerceTypes: true });

    normalizeNullable(this.#doc);
    const paths = this.#doc.paths as Record<string, Record<string, Schema>>;
    for (const op of Object.values(paths).flatMap((item) => Object.values(item))) {
      const body = jsonBodySchema(op);
      if (body) this.#strictify(body, new Set());
    }
    this.#ajv.addSchema(this.#doc, 'intercom.json');

    for (const [template, item] of Object.entries(paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (typeof op !== 'object' || !op.operationId) continue;
        const parameters = ((op.parameters as Schema[] | undefined) ?? []).map(
          (p) => this.#resolve(p) as unknown as Parameter,
        );
        const bodySchema = jsonBodySchema(op);
        const operationId = String(op.operationId);
        this.#operations.push({
          method: method.toUpperCase(),
          pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '([^/]+)')}$`),
          literalSegments: template.split('/').filter((s) => s && !s.startsWith('{')).length,
          operationId,
          parameters,
          params: coercing.compile(this.#paramsSchema(operationId, parameters)),
          body: bodySchema ? this.#ajv.compile(rebase(bodySchema)) : undefined,
          bodyRequired: Boolean((this.#resolve(op.requestBody as Schema | undefined) as Schema | undefined)?.required),
        });
      }
    }
    // prefer /contacts/search over /contacts/{id}
    this.#operations.sort((a, b) => b.literalSegments - a.literalSegments);
  }

  get operationIds(): string[] {
    return this.#operations.map((o) => o.operationId);
  }

  validate(req: Pick<RecordedRequest, 'method' | 'path' | 'query' | 'headers' | 'body'>): ContractResult {
    const op = this.#operations.find((o) => o.method === req.method && o.pattern.test(req.path));
    if (!op) return { operationId: undefined, errors: [`no operation ${req.method} ${req.path} in the document`] };
    const errors: string[] = [];
    const ids = (op.pattern.exec(req.path) ?? []).slice(1).map(decodeURIComponent);
    const pathNames = op.parameters.filter((p) => p.in === 'path').map((p) => p.name);
    const opaque = new Set(KNOWN_SPEC_GAPS.opaquePathIds[op.operationId] ?? []);
    const path = Object.fromEntries(
      pathNames.map((name, i) => [name, ids[i]]).filter(([name]) => !opaque.has(String(name))),
    );
    const header = { 'Intercom-Version': req.headers['intercom-version'] };
    const query = { ...req.query };
    for (const name of KNOWN_SPEC_GAPS.undeclaredQuery[op.operationId] ?? []) {
      if (name in query && !/^\d+$/.test(String(query[name]))) errors.push(`query ${name} must be a whole number`);
      delete query[name];
    }
    if (!op.params({ path, query, header })) errors.push(...describe(op.params, 'request'));
    if (req.body === undefined) {
      if (op.bodyRequired) errors.push('body is required');
    } else if (!op.body) {
      errors.push('operation takes no body');
    } else if (!op.body(req.body)) {
      errors.push(...describe(op.body, 'body'));
    }
    return { operationId: op.operationId, errors };
  }

  #paramsSchema(operationId: string, parameters: Parameter[]): Schema {
    const group = (where: Parameter['in'], extraAllowed: boolean) => {
      const list = parameters.filter((p) => p.in === where);
      const opaque = new Set(where === 'path' ? (KNOWN_SPEC_GAPS.opaquePathIds[operationId] ?? []) : []);
      return {
        type: 'object',
        properties: Object.fromEntries(
          list.filter((p) => !opaque.has(p.name)).map((p) => [p.name, this.#inline(p.schema ?? {})]),
        ),
        required: list.filter((p) => p.required && !opaque.has(p.name)).map((p) => p.name),
        additionalProperties: extraAllowed,
      };
    };
    return {
      type: 'object',
      properties: { path: group('path', false), query: group('query', false), header: group('header', true) },
    };
  }

  #resolve(value: Schema | undefined): Schema | undefined {
    const ref = value?.$ref;
    if (typeof ref !== 'string') return value;
    const target = ref
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>((node, key) => (node as Schema)[key.replaceAll('~1', '/').replaceAll('~0', '~')], this.#doc);
    return this.#resolve(target as Schema);
  }

  /** A parameter schema with its refs inlined (parameter schemas are small and never recursive). */
  #inline(schema: Schema): Schema {
    const resolved = this.#resolve(schema) ?? {};
    return JSON.parse(JSON.stringify(resolved)) as Schema;
  }

  /**
   * Intercom ignores body fields it does not know, so a misspelt optional field would fail silently in
   * production. Close every object that lists its properties, so such a typo fails here instead.
   */
  #strictify(node: Schema | undefined, seen: Set<Schema>, asAllOfMember = false): void {
    const schema = this.#resolve(node);
    if (!schema || typeof schema !== 'object' || seen.has(schema)) return;
    seen.add(schema);
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    const members = (schema.allOf as Schema[] | undefined) ?? [];
    const branches = [...((schema.oneOf as Schema[]) ?? []), ...((schema.anyOf as Schema[]) ?? [])];
    for (const member of members) this.#strictify(member, seen, true);
    for (const branch of branches) this.#strictify(branch, seen);
    if (schema.properties && members.length + branches.length > 0) {
      // additionalProperties sees only its own object's properties: list the members' and branches' names too
      const inherited = [...members, ...branches].flatMap((m) =>
        Object.keys((this.#resolve(m)?.properties ?? {}) as Schema),
      );
      schema.properties = { ...Object.fromEntries(inherited.map((name) => [name, true])), ...props };
    }
    if (!asAllOfMember && schema.properties && schema.additionalProperties === undefined) {
      schema.additionalProperties = false;
    }
    for (const child of Object.values(props)) this.#strictify(child, seen);
    this.#strictify(schema.items as Schema | undefined, seen);
  }
}

function normalizeNullable(node: unknown): void {
  if (Array.isArray(node)) {
    for (const child of node) normalizeNullable(child);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const schema = node as Schema;
  if (schema.nullable === true && schema.type === undefined) {
    delete schema.nullable;
    if (typeof schema.$ref === 'string') {
      schema.anyOf = [{ $ref: schema.$ref }, { type: 'null' }];
      delete schema.$ref;
    }
  }
  for (const child of Object.values(schema)) normalizeNullable(child);
}

function jsonBodySchema(op: Schema): Schema | undefined {
  const body = op.requestBody as { content?: Record<string, { schema?: Schema }> } | undefined;
  return body?.content?.['application/json']?.schema;
}

/** Points local refs of a schema taken out of the document back into the registered document. */
function rebase(schema: Schema): Schema {
  return JSON.parse(JSON.stringify(schema).replaceAll('"$ref":"#/', '"$ref":"intercom.json#/')) as Schema;
}

function describe(validate: ValidateFunction, where: string): string[] {
  return (validate.errors ?? []).map((e) => `${where}${e.instancePath} ${e.message ?? ''}${extra(e.params)}`);
}

function extra(params: Record<string, unknown>): string {
  if ('additionalProperty' in params) return ` (${String(params.additionalProperty)})`;
  if ('allowedValues' in params) return ` (${JSON.stringify(params.allowedValues)})`;
  return '';
}
