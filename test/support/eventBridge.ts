/**
 * The two EventBridge behaviours the task-stop rule relies on, applied to a synthesized rule so tests can
 * feed it real event shapes: event-pattern matching (the subset the stack uses: exact values, `anything-but`,
 * `$or`, and arrays in the event matching when any element does) and the input transformer.
 * DOCS eventbridge-and-event-patterns (content filtering: anything-but, $or; "if the value in the event is an
 * array, the pattern matches if the intersection of the pattern array and the event array is non-empty").
 */

type Json = unknown;

export function matchesPattern(pattern: Record<string, Json>, event: Record<string, Json>): boolean {
  return Object.entries(pattern).every(([key, rule]) => {
    if (key === "$or") {
      return (rule as Record<string, Json>[]).some((alternative) => matchesPattern(alternative, event));
    }
    const value = event[key];
    if (Array.isArray(rule)) return matchesValues(rule, value);
    // A nested object: the event's value is an object, or an array of objects any of which may match.
    const candidates = Array.isArray(value) ? value : [value];
    return candidates.some(
      (candidate) =>
        candidate !== null &&
        typeof candidate === "object" &&
        matchesPattern(rule as Record<string, Json>, candidate as Record<string, Json>),
    );
  });
}

function matchesValues(rules: Json[], value: Json): boolean {
  // A field absent from the event matches no value rule (anything-but included).
  if (value === undefined) return false;
  const values = Array.isArray(value) ? value : [value];
  return values.some((one) =>
    rules.some((rule) => {
      if (rule !== null && typeof rule === "object" && "anything-but" in rule) {
        const excluded = (rule as { "anything-but": Json })["anything-but"];
        return !(Array.isArray(excluded) ? excluded : [excluded]).includes(one);
      }
      return rule === one;
    }),
  );
}

/** `$.a.b[0].c` in an event. */
function atPath(event: Json, path: string): Json {
  const steps = path
    .replace(/^\$\.?/, "")
    .split(/\.|\[(\d+)\]/)
    .filter((step) => step !== undefined && step !== "");
  let value: Json = event;
  for (const step of steps) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, Json>)[step];
  }
  return value;
}

/**
 * The transformer's output: each `<name>` replaced by the JSON value at its path. A path the event does not
 * have is taken as null here (the Lambda also accepts an unparseable message, as a plain notification).
 */
export function applyInputTransformer(
  transformer: { InputPathsMap: Record<string, string>; InputTemplate: string },
  event: Json,
): string {
  let output = transformer.InputTemplate;
  for (const [name, path] of Object.entries(transformer.InputPathsMap)) {
    const value = atPath(event, path);
    output = output.replaceAll(`<${name}>`, JSON.stringify(value ?? null));
  }
  return output;
}

/** A synthesized `Fn::Join` with `Ref`s to pseudo parameters, resolved as CloudFormation would. */
export function resolveJoin(value: Json, refs: Record<string, string>): string {
  if (typeof value === "string") return value;
  const join = (value as { "Fn::Join": [string, Json[]] })["Fn::Join"];
  return join[1]
    .map((part) => (typeof part === "string" ? part : (refs[(part as { Ref: string }).Ref] ?? "?")))
    .join(join[0]);
}
