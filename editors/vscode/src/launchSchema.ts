/**
 * Turns schemas/dap-launch.schema.json (the adapter's launch arguments, the one
 * source of truth) into the `configurationAttributes.launch` VS Code wants in
 * package.json. `npm run sync-schema` writes the result; a unit test fails
 * when package.json and the schema drift apart.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** Properties VS Code defines itself for every debugger (with its own enums and texts). */
export const EDITOR_OWNED_PROPERTIES = ['type', 'request', 'name'];

/** Keys that describe the schema file, not a launch configuration. */
const FILE_KEYS = ['$schema', '$id', 'title', 'description', 'definitions', '$defs'];

function isObject(v: Json | undefined): v is JsonObject {
    return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Follows a local JSON pointer such as `#/definitions/readiness`. */
function lookup(root: JsonObject, ref: string): Json {
    if (!ref.startsWith('#/')) {
        throw new Error(`only local $ref pointers are supported, got ${ref}`);
    }
    let node: Json = root;
    for (const raw of ref.slice(2).split('/')) {
        const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
        if (!isObject(node) || !(key in node)) {
            throw new Error(`$ref ${ref} does not resolve`);
        }
        node = node[key];
    }
    return node;
}

/**
 * A copy of `node` with every `$ref` replaced by its target (sibling keywords
 * such as `description` or `default` next to a `$ref` win over the target's).
 * VS Code copies the attributes into its own launch.json schema, where the
 * file's `#/definitions/...` would not resolve, so nothing may stay a reference.
 */
export function inlineRefs(node: Json, root: JsonObject, stack: string[] = []): Json {
    if (Array.isArray(node)) {
        return node.map((n) => inlineRefs(n, root, stack));
    }
    if (!isObject(node)) {
        return node;
    }
    const out: JsonObject = {};
    const ref = node['$ref'];
    if (typeof ref === 'string') {
        if (stack.includes(ref)) {
            throw new Error(`$ref cycle: ${[...stack, ref].join(' -> ')}`);
        }
        const target = inlineRefs(lookup(root, ref), root, [...stack, ref]);
        if (isObject(target)) {
            Object.assign(out, target);
        }
    }
    for (const [k, v] of Object.entries(node)) {
        if (k !== '$ref') {
            out[k] = inlineRefs(v, root, stack);
        }
    }
    return out;
}

/** `configurationAttributes.launch` for the `devcontainer` debugger. */
export function launchAttributes(schema: JsonObject): JsonObject {
    const inlined = inlineRefs(schema, schema);
    if (!isObject(inlined) || !isObject(inlined.properties)) {
        throw new Error('the launch schema has no "properties" object');
    }
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(inlined)) {
        if (FILE_KEYS.includes(k) || k === 'type') {
            continue; // VS Code sets type "object" on the attributes itself
        }
        if (k === 'properties' && isObject(v)) {
            const props: JsonObject = {};
            for (const [name, prop] of Object.entries(v)) {
                if (!EDITOR_OWNED_PROPERTIES.includes(name)) {
                    props[name] = prop;
                }
            }
            out.properties = props;
        } else if (k === 'required' && Array.isArray(v)) {
            const required = v.filter((r) => typeof r === 'string' && !EDITOR_OWNED_PROPERTIES.includes(r));
            if (required.length > 0) {
                out.required = required;
            }
        } else {
            out[k] = v;
        }
    }
    return out;
}

/** Every `$ref` left in `node` (none should be, after [launchAttributes]). */
export function findRefs(node: Json, at = '#'): string[] {
    if (Array.isArray(node)) {
        return node.flatMap((n, i) => findRefs(n, `${at}/${i}`));
    }
    if (!isObject(node)) {
        return [];
    }
    return Object.entries(node).flatMap(([k, v]) => (k === '$ref' ? [at] : findRefs(v, `${at}/${k}`)));
}
