import type { Model } from 'mongoose';

/**
 * Builds the documents a model's `insertMany` would send, without a mongoose document per row
 * (hydrating, validating and serialising one costs more than the insert itself on a large
 * import).
 *
 * Contract: `build(input)` returns exactly what `Model.create(input)` (data-schemas' createUser)
 * would store (same keys in the same order, same defaults, timestamps, `__v`), or the
 * validation message that would refuse it.
 * - The first input of each shape (the set of top-level keys it sets) goes through a real
 *   mongoose document: the schema's defaults, casts, setters, validators and key order come
 *   from mongoose itself, and the result (after a BSON round trip, so it is the stored form) is
 *   kept as that shape's template.
 * - Later inputs of the same shape copy the template (defaults deep-copied with fresh
 *   subdocument ids, timestamps set now) and put their own values in place, each through its schema path's own casts, setters and
 *   validators. Anything this cannot do faithfully goes the mongoose way: a nested or unknown
 *   key, a value that is an object in a schema that minimizes, a validator that needs the
 *   document.
 * - A shape whose defaults come out different twice (other than subdocument ids) is never
 *   templated. Defaults must not depend on other paths (true of LibreChat's user and of our
 *   mapping), and validation is synchronous (mongoose's `validateSync`: no async validators,
 *   as in both schemas); tests compare built users with ones made by data-schemas' createUser.
 * - Insert the result with `insertMany(docs, { lean: true })` so the model's `insertMany`
 *   middleware (LibreChat's tenant stamp) still runs.
 */
export interface LeanDocBuilder {
  build(input: Record<string, unknown>): { doc: Record<string, unknown> } | { error: string };
}

type Doc = Record<string, unknown>;

export function leanDocBuilder(model: Model<any>): LeanDocBuilder {
  const schema = model.schema as any;
  const templates = new Map<string, Doc>();
  const minimize = schema.options?.minimize !== false;
  const stamps = schema.$timestamps as { createdAt?: string; updatedAt?: string } | undefined;
  // A shape whose defaults may differ from document to document other than by subdocument ids
  // (any date, e.g. `default: Date.now`, or a value that comes out different twice): its rows
  // all go through mongoose.
  const VOLATILE: Doc = {};
  const volatile = (a: Doc, again: { doc: Doc } | { error: string }, own: Set<string>) =>
    !('doc' in again) ||
    Object.keys(a).some((k) => !own.has(k) && k !== stamps?.createdAt && k !== stamps?.updatedAt && (hasDate(a[k]) || !sameButIds(a[k], again.doc[k], k)));
  const currentTime = typeof schema.options?.timestamps?.currentTime === 'function' ? schema.options.timestamps.currentTime : undefined;
  const BSON = (model as any).base.mongo.BSON;
  const ignoreUndefined = !!(model.db as any)?.client?.bsonOptions?.ignoreUndefined;
  // Paths whose value we may set without a document: top-level paths whose validators do not
  // look at the document (a `required` given as a function does). A subdocument path only
  // takes null this way (the mapping's free creation lease).
  const fastPath = new Map<string, any>();
  const pathOf = (key: string) => {
    if (fastPath.has(key)) return fastPath.get(key);
    const st = schema.path(key);
    const ok = st && !key.includes('.') && typeof st.originalRequiredValue !== 'function';
    fastPath.set(key, ok ? st : null);
    return ok ? st : null;
  };
  const nested = (st: any) => st.$isSingleNested === true || st.$isMongooseDocumentArray === true;

  const viaMongoose = (input: Doc): { doc: Doc } | { error: string } => {
    const d = new model(input) as any;
    const err = d.validateSync();
    if (err) return { error: err.message };
    // In the order `save()` (createUser) sets them: timestamps, then the version key.
    if (d.initializeTimestamps) d.initializeTimestamps();
    const versionKey = schema.options?.versionKey;
    if (versionKey) d[versionKey] = 0;
    const obj = d.toObject({ transform: false, virtuals: false, getters: false, depopulate: true, flattenDecimals: false, versionKey: true });
    return { doc: BSON.deserialize(BSON.serialize(obj, { ignoreUndefined })) };
  };

  return {
    build(input) {
      const keys = Object.keys(input).filter((k) => input[k] !== undefined);
      const shape = keys.slice().sort().join('\0');
      const template = templates.get(shape);
      const slow = !template || template === VOLATILE || keys.some((k) => !pathOf(k) || (input[k] !== null && nested(pathOf(k))) || (minimize && isObject(input[k])));
      if (slow) {
        const r = viaMongoose(input);
        if (!template && 'doc' in r) templates.set(shape, volatile(r.doc, viaMongoose(input), new Set(keys)) ? VOLATILE : r.doc);
        return r;
      }
      const now = currentTime ? currentTime() : (model as any).base.now();
      const own = new Set(keys);
      const doc: Doc = {};
      for (const k of Object.keys(template!)) {
        if (own.has(k)) {
          const st = pathOf(k);
          let v: unknown;
          try {
            v = st.applySetters(input[k], null, false);
          } catch (e) {
            return { error: `${model.modelName} validation failed: ${k}: ${(e as Error).message}` };
          }
          const err = st.doValidateSync(v, null);
          if (err) return { error: `${model.modelName} validation failed: ${k}: ${err.message}` };
          doc[k] = v;
        } else if (k === stamps?.createdAt || k === stamps?.updatedAt) doc[k] = now;
        else doc[k] = copy(template![k], k);
      }
      return { doc };
    },
  };
}

const isObject = (v: unknown) => v !== null && typeof v === 'object' && !(v instanceof Date) && !('_bsontype' in (v as object));

const isObjectId = (v: unknown) => (v as { _bsontype?: string } | null)?._bsontype === 'ObjectId';

const hasDate = (v: unknown): boolean =>
  v instanceof Date || (Array.isArray(v) ? v.some(hasDate) : v !== null && typeof v === 'object' && !isObjectId(v) && Object.values(v).some(hasDate));

/** Equal, except that ids of subdocuments (`_id`) may differ: each document gets its own. */
function sameButIds(a: unknown, b: unknown, key: string): boolean {
  if (key === '_id' && isObjectId(a) && isObjectId(b)) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameButIds(x, b[i], ''));
  if (a instanceof Date) return b instanceof Date && a.getTime() === b.getTime();
  if (isObjectId(a)) return isObjectId(b) && String(a) === String(b);
  if (a !== null && typeof a === 'object') {
    if (b === null || typeof b !== 'object') return false;
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k, i) => kb[i] === k && sameButIds((a as Doc)[k], (b as Doc)[k], k));
  }
  return Object.is(a, b);
}

/**
 * A deep copy of a template value (plain objects, arrays, dates; other BSON values are
 * immutable). A subdocument id (`_id`) is made anew, as mongoose gives each document its own.
 */
function copy(v: unknown, key = ''): unknown {
  if (key === '_id' && isObjectId(v)) return new (v as any).constructor();
  if (Array.isArray(v)) return v.map((x) => copy(x));
  if (v instanceof Date) return new Date(v.getTime());
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const o: Doc = {};
    for (const k of Object.keys(v)) o[k] = copy((v as Doc)[k], k);
    return o;
  }
  return v;
}
