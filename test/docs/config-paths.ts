import { ZodTypeAny, ZodFirstPartyTypeKind as K } from 'zod';

/** Every option path the schema knows: `providers[].roles.mfa.amr`, `extensions.<field>.claim`... */
export function schemaPaths(schema: ZodTypeAny, prefix = ''): string[] {
  const def = (schema as any)._def;
  switch (def.typeName) {
    case K.ZodOptional:
    case K.ZodDefault:
    case K.ZodNullable:
      return schemaPaths(def.innerType, prefix);
    case K.ZodEffects:
      return schemaPaths(def.schema, prefix);
    case K.ZodObject: {
      const shape = def.shape();
      return Object.keys(shape).flatMap((k) => {
        const p = prefix ? `${prefix}.${k}` : k;
        const inner = schemaPaths(shape[k], p);
        return inner.length ? inner : [p];
      });
    }
    case K.ZodArray: {
      const inner = schemaPaths(def.type, `${prefix}[]`);
      return inner.length && inner[0] !== `${prefix}[]` ? inner : [];
    }
    case K.ZodRecord: {
      const inner = schemaPaths(def.valueType, `${prefix}.<name>`);
      return inner.length ? inner : [`${prefix}.<name>`];
    }
    default:
      return [];
  }
}
