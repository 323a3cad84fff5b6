/**
 * Answers kept per read-model version (issue 16): a dashboard asks the same pages again and again (the open
 * violations, the open incidents, the readers of items of one scope) while nothing changes, and building their JSON
 * (reading the rows, parsing the views, adding the labels, serializing 20–50 KB) was most of each answer's CPU. An
 * entry is used only under the very version it was built at (ReadModels.version: any write to the read models
 * starts afresh), so it is always what building again would give.
 */
export class AnswerCache<V> {
  private readonly entries = new Map<string, { version: string; value: V }>();

  /** `max` distinct keys (filters × languages × cursors); a flood of distinct ones only costs building again. */
  constructor(private readonly max = 256) {}

  get(key: string, version: string, build: () => V): V {
    const hit = this.entries.get(key);
    if (hit !== undefined && hit.version === version) return hit.value;
    const value = build();
    if (hit === undefined && this.entries.size >= this.max) this.entries.clear();
    this.entries.set(key, { version, value });
    return value;
  }
}

/** The little of Express's response a handler that answers JSON text needs. */
export interface JsonResponse {
  setHeader(name: string, value: string): unknown;
}

/**
 * Answers `json` (text that is already JSON) as `res.json` would answer the value it came from: the same
 * Content-Type (Express adds the charset to a string body), the same bytes. For a handler with
 * `@Res({ passthrough: true })`: Nest sends a returned string with `res.send`.
 */
export const jsonText = (res: JsonResponse, json: string): string => {
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  return json;
};
