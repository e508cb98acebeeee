/**
 * A received request as tests see it: method, path, and the JSON body or the multipart
 * fields, already parsed.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** A file part of a multipart body. */
export type MockFile = { filename: string; contentType: string; data: Buffer };

/** Multipart fields by name: text fields as strings, file parts as MockFile. */
export type FormFields = Record<string, string | MockFile>;

export type MockRequest = {
  /** 1-based order of arrival over every route. */
  id: number;
  method: string;
  /** Path without the query string. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body, when the request sent JSON. */
  body?: unknown;
  /** The multipart fields, when the request sent multipart/form-data. */
  fields?: FormFields;
};

async function parseForm(raw: Buffer, contentType: string): Promise<FormFields> {
  const form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
  const fields: FormFields = {};
  for (const [name, value] of form) {
    fields[name] =
      typeof value === 'string'
        ? value
        : {
            filename: value.name,
            contentType: value.type,
            data: Buffer.from(await value.arrayBuffer()),
          };
  }
  return fields;
}

export type ParsedBody = { body?: unknown; fields?: FormFields } | { error: string };

/** Multipart into fields, anything else as JSON (vLLM reads JSON whatever the content type). */
export async function parseBody(raw: Buffer, contentType: string | undefined): Promise<ParsedBody> {
  if (raw.length === 0) return {};
  try {
    if (contentType?.toLowerCase().startsWith('multipart/form-data')) {
      return { fields: await parseForm(raw, contentType) };
    }
    return { body: JSON.parse(raw.toString('utf8')) };
  } catch (error) {
    return { error: `could not parse the request body: ${(error as Error).message}` };
  }
}
