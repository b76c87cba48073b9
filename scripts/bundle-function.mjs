#!/usr/bin/env node
/**
 * Builds one function's bundle with code splitting (lib/bundling.ts, splitBundleCommand): the
 * argument is the base64 JSON of its esbuild options. The single-file output NodejsFunction wrote
 * first is removed, then the entry (`index.mjs`) and its chunks are written in its place.
 * Plain JavaScript: it runs inside `cdk synth`'s bundling step, without tsx. The bench and the
 * bundle test build through {@link buildFunction} too, so they measure exactly what is deployed.
 *
 * What esbuild would otherwise load at every cold start, though a Lambda cold start never runs it
 * (docs/scale.md, "Function bundles and the AWS SDK"). Each changes where bytes sit, not what runs:
 * test/lib/bundles.test.ts runs a bundle and the same code unbundled against one local endpoint
 * and compares the requests, the answers, the errors and the credentials picked.
 *
 * - Unused schema shapes ({@link inlineSchemaKeys}): every SDK client's schema module
 *   (`schemas_0.js`) describes each shape of its service as an array literal whose trait objects
 *   use computed keys naming module constants (`{ [_xN]: _GIr }`, `_xN` being
 *   `const _xN = "xmlName"`). esbuild cannot prove a computed key free of side effects, so it kept
 *   every shape of the service (EC2: 555 KB) even when a function sends two commands. The keys are
 *   written as the string literals the constants hold (`{ "xmlName": _GIr }`): the same objects,
 *   now dropped when unused.
 * - Barrels ({@link barrelFlattener}): esbuild assigns a module to the chunks of every entry that
 *   reaches its file, used or not, and the SDK imports through index modules that re-export
 *   everything (`@aws-sdk/core/protocols`): a lazily loaded client's protocol (query, JSON, CBOR)
 *   rode every cold start. Named imports are pointed at the defining modules.
 * - The credential chain ({@link credentialChainPlugin}, {@link credentialLinksPlugin}): clients
 *   import the default chain statically; Lambda always answers its first link (the environment's
 *   keys). The bundle holds that link, and the chain itself (credential-provider-node, unchanged,
 *   with its SSO, profile, process, web identity and metadata links, the STS, SSO and sign-in
 *   clients those call) is built in a second pass of its own, as files beside `index.mjs`
 *   (`credentials-*.mjs`, `chunk-credentials-*.mjs`) imported the first time the environment does
 *   not answer. They share nothing with the main bundle but plain values (the init options, the
 *   credentials, errors the chain tells apart by their `tryNextLink` property).
 * - A client's package.json, which it imports for its version alone: bundled as name and version.
 * - Modelled error classes ({@link compactErrorClasses}): one factory makes them, with the same
 *   names, shape ids, fields and prototypes as the classes the generator writes out.
 * - Modelled errors ({@link splitErrorSchemas}): each client's error shapes, their registrations
 *   with the service's type registry and the import of their classes move to a module of their
 *   own, import()ed the first time a client of the bundle is answered with an error; the schema
 *   deserializer waits for it before it reads such an answer ({@link loadBeforeErrors}), so every
 *   error is read with all its service's errors registered, as unbundled (RDS declares 150: 30 KB
 *   minified that a function loads only when AWS refuses something).
 * - The multi-Region signer ({@link multiRegionSignerPlugin}) of clients whose endpoints may ask
 *   for SigV4a (EventBridge): its SigV4 path in the bundle, the class itself loaded the first time
 *   a request is to be signed for every Region.
 * - The endpoint-discovery cache of DynamoDB ({@link lruCachePlugin}): every DynamoDB client
 *   builds an `EndpointCache` at construction, whose LRU is mnemonist's (with its iterators, 7 KB
 *   minified), though no function turns endpoint discovery on. The cache gets an LRU of the same
 *   behaviour for the five methods it calls, over a Map ({@link LRU_CACHE_SHIM}).
 */
import { createHash } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

/** An SDK client's schema module (one or more per client package). */
const SCHEMA_MODULE = /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/;

/** `{ [_xN]: v }` → `{ "xmlName": v }` wherever `_xN` is a top-level `const _xN = "xmlName";` of the same module. */
function inlineSchemaKeys(source) {
  const constants = new Map();
  for (const m of source.matchAll(/^const (_[A-Za-z0-9_$]+) = ("(?:[^"\\\n]|\\.)*");$/gm)) constants.set(m[1], m[2]);
  return source.replace(/(?<=[{,]\s*)\[(_[A-Za-z0-9_$]+)\]:/g, (all, name) => (constants.has(name) ? `${constants.get(name)}:` : all));
}

/** An SDK client's modelled errors (`models/errors.js`): one class per error the service declares. */
const ERRORS_MODULE = /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]models[\\/]errors\.js$/;

/** One error class as the SDK's code generator writes it (1 name, 2 shape id, 3 fault, 4 member fields, 5 member assignments). */
const ERROR_CLASS =
  /^export class (\w+) extends __BaseException \{\n {4}static shapeId = ("[^"\n]+");\n {4}name = "\1";\n {4}\$fault = ("client"|"server");\n((?: {4}\w+;\n)*) {4}constructor\(opts\) \{\n {8}super\(\{\n {12}name: "\1",\n {12}\$fault: \3,\n {12}\.\.\.opts,\n {8}\}\);\n {8}Object\.setPrototypeOf\(this, \1\.prototype\);\n((?: {8}this\.\w+ = opts\.\w+;\n)*) {4}\}\n\}\n/gm;

/** What each compacted class is made by: the class the generator writes, its fields set in the same order. */
/**
 * What each compacted class is made by: the class the generator writes, its fields set in the same
 * order. `namespace` is the service's (its shape ids are `namespace#Name`); `fault` is "client"
 * unless given; `members` are the fields the error's shape declares.
 */
const errorFactory = (namespace) => `
const __error = (name, fault = "client", members = []) => {
  const C = { [name]: class extends __BaseException {
    constructor(opts) {
      super({ name, $fault: fault, ...opts });
      this.name = name;
      this.$fault = fault;
      for (const m of members) this[m] = undefined;
      Object.setPrototypeOf(this, C.prototype);
      for (const m of members) this[m] = opts[m];
    }
  } }[name];
  C.shapeId = ${JSON.stringify(namespace)} + "#" + name;
  return C;
};
`;

/**
 * `export class X extends __BaseException { ... }` → `export const X = __error("X", fault, members)`
 * for every class written exactly as the generator writes it, with a shape id in the service's
 * namespace (the others are left as they are). The same classes, with the same name, static
 * `shapeId` (which `instanceof` reads), fields and prototype chain, built by one function: RDS
 * declares 150 errors, 40 KB minified as classes.
 */
function compactErrorClasses(source) {
  const first = /^ {4}static shapeId = "([^"#\n]+)#/m.exec(source);
  if (!first) return source;
  const namespace = first[1];
  let compacted = 0;
  const out = source.replace(ERROR_CLASS, (all, name, shapeId, fault, fields, assignments) => {
    const declared = [...fields.matchAll(/(\w+);/g)].map((m) => m[1]);
    const assigned = [...assignments.matchAll(/this\.(\w+) = opts\.(\w+);/g)].map((m) => (m[1] === m[2] ? m[1] : '\0'));
    if (declared.join() !== assigned.join() || shapeId !== JSON.stringify(`${namespace}#${name}`)) return all;
    compacted += 1;
    const args = [JSON.stringify(name), ...(fault !== '"client"' || declared.length ? [fault] : []), ...(declared.length ? [JSON.stringify(declared)] : [])];
    return `export const ${name} = /* @__PURE__ */ __error(${args.join(', ')});\n`;
  });
  if (compacted === 0) return source;
  const imports = /^import \{ \w+ as __BaseException \} from "[^"]+";\n/m.exec(out);
  if (!imports) return source;
  const at = imports.index + imports[0].length;
  return out.slice(0, at) + errorFactory(namespace) + out.slice(at);
}

/**
 * One modelled error in a client's schema module: its shape, in a service namespace (`n0`, not the
 * synthetic one of the service's base exception), then its registration (1 name, 2 namespace).
 */
const ERROR_SCHEMA = /^export var (\w+)\$ = \[-3, (n\d+), (?:(?!\nexport )[\s\S])*?;\n\2_registry\.registerError\(\1\$, \1\);\n/gm;
/** The schema module's import of its error classes. */
const ERRORS_IMPORT = /^import \{([^}]*)\} from "\.\.\/models\/errors";\n/m;
/** What a schema module's modelled errors are import()ed as: the module's path and this suffix. */
const LAZY_ERRORS_SUFFIX = '?modelled-errors';
/** The module every split client registers its errors' loader with, and the deserializer loads them from. */
const ERROR_REGISTRIES = 'rds-failover:sdk-error-registries';
const ERROR_REGISTRIES_MODULE = `
const loaders = [];
/** A client's modelled errors, loaded the first time any client is answered with an error. */
export const lazyErrorRegistry = (load) => { loaders.push({ load, loaded: undefined }); };
export const loadErrorRegistries = () => Promise.all(loaders.map((l) => (l.loaded ??= l.load())));
`;
/** Where the SDK deserializes every answer of a schema-based client, just after the HTTP call. */
const DESERIALIZATION_MIDDLEWARE = /[\\/]@smithy[\\/]core[\\/]dist-es[\\/]submodules[\\/]schema[\\/]middleware[\\/]schemaDeserializationMiddleware\.js$/;
const ANSWERED = '    const { response } = await next(args);\n';

/** `code` with its string and template literals emptied: what is left names identifiers only. */
const withoutStrings = (code) => code.replace(/"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g, '""');
/** Whether `code` (without strings) names the identifier `name`. */
const names = (code, name) => new RegExp(`(?<![\\w$])${name.replace(/\$/g, '\\$')}(?![\\w$])`).test(code);

/**
 * Moves a client's modelled errors (their schemas, their registrations with the service's type
 * registry, the import of their classes) out of its schema module into a module of their own,
 * import()ed the first time a client of the bundle is answered with an error: a service declares
 * up to 150 errors (RDS: 30 KB minified with their classes), and a function reads them only when
 * AWS refuses. The registry the errors join is the one the module made (`TypeRegistry.for` of the
 * namespace), which the protocols copy from when they read an error (`compose`); the deserializer
 * waits for the load before it reads any answer with a status of 300 or more
 * ({@link loadBeforeErrors}), so an error is read with every error of its service registered, as
 * unbundled. Returns undefined (module left whole) where the module is not laid out as expected:
 * an error shape still named after the move, or an error class still used.
 */
function splitErrorSchemas(source, path) {
  const blocks = [];
  const namespaces = new Set();
  let main = source.replace(ERROR_SCHEMA, (block, name, namespace) => {
    blocks.push(block);
    namespaces.add(namespace);
    return '';
  });
  const imported = ERRORS_IMPORT.exec(main);
  if (blocks.length === 0 || !imported) return undefined;
  main = main.replace(ERRORS_IMPORT, '');
  const classes = clauses(imported[1]).map((c) => c?.[1]);
  if (classes.some((n) => n === undefined)) return undefined;
  const code = withoutStrings(main);
  const shapes = blocks.map((b) => /^export var (\w+\$)/.exec(b)[1]);
  if ([...classes, ...shapes].some((n) => names(code, n))) return undefined;
  if (![...namespaces].every((ns) => new RegExp(`^const ${ns}_registry = new TypeRegistry\\(${ns}\\);$`, 'm').test(main))) return undefined;
  const constants = [...source.matchAll(/^const [\w$]+ = "(?:[^"\\\n]|\\.)*";$/gm)].map((m) => m[0]);
  // The other shapes the errors' members are (DynamoDB's ConditionalCheckFailedException carries an
  // AttributeMap): imported from the schema module, exported for them where it does not already.
  const blockCode = withoutStrings(blocks.join('\n'));
  const shared = [...main.matchAll(/^(export )?(?:var|let|const) ([\w$]+) = (?!")/gm)]
    .filter((m) => !namespaces.has(m[2].replace(/_registry$/, '')) && names(blockCode, m[2]))
    .map((m) => ({ name: m[2], exported: Boolean(m[1]) }));
  const unexported = shared.filter((d) => !d.exported).map((d) => d.name);
  if (unexported.length > 0) main += `export { ${unexported.join(', ')} };\n`;
  const errors = [
    'import { TypeRegistry } from "@smithy/core/schema";',
    imported[0].trimEnd(),
    ...(shared.length > 0 ? [`import { ${shared.map((d) => d.name).join(', ')} } from ${JSON.stringify(path)};`] : []),
    ...constants,
    ...[...namespaces].map((ns) => `const ${ns}_registry = TypeRegistry.for(${ns});`),
    ...blocks,
  ].join('\n');
  main += `import { lazyErrorRegistry as __lazyErrorRegistry } from ${JSON.stringify(ERROR_REGISTRIES)};\n__lazyErrorRegistry(() => import(${JSON.stringify(path + LAZY_ERRORS_SUFFIX)}));\n`;
  return { main, errors };
}

/** The schema deserializer, waiting for every split client's errors before it reads an error answer ({@link splitErrorSchemas}). */
function loadBeforeErrors(source, path) {
  if (!source.includes(ANSWERED)) throw new Error(`bundle-function: ${path} no longer reads the answer as expected; the split error schemas would go unread`);
  return `import { loadErrorRegistries as __loadErrorRegistries } from ${JSON.stringify(ERROR_REGISTRIES)};\n${source.replace(
    ANSWERED,
    `${ANSWERED}    if (response?.statusCode >= 300) await __loadErrorRegistries();\n`,
  )}`;
}

/** A module of the SDK (ES module build) whose imports {@link sdkModulesPlugin} may point past barrels. */
const SDK_MODULE = /[\\/]node_modules[\\/]@(aws-sdk|smithy)[\\/].*[\\/]dist-es[\\/].*\.js$/;

/** `export { a, b as c } from "x";` statements. */
const REEXPORT = /^export\s*\{([^}]*)\}\s*from\s*"([^"]+)";?/gm;
/** `import { a, b as c } from "x";` statements (named imports only). */
const NAMED_IMPORT = /^import\s*\{([^}]*)\}\s*from\s*"([^"]+)";?/gm;

/** `a, b as c,` → [['a', 'a'], ['b', 'c']] (imported or exported name, local or exported name). */
const clauses = (list) =>
  list
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean)
    .map((c) => {
      const m = /^([\w$]+)(?:\s+as\s+([\w$]+))?$/.exec(c);
      return m ? [m[1], m[2] ?? m[1]] : undefined;
    });

/**
 * Points named imports of the SDK's barrels (index modules that only re-export, such as
 * `@aws-sdk/core/protocols` or `@smithy/core/protocols`) at the modules that define the names.
 * The same bindings from the same modules, minus the barrel in between: esbuild assigns a module to
 * the chunks of every entry that reaches its file, and through a barrel every client reached every
 * protocol (the query and JSON codecs of a lazily loaded client were loaded at every cold start).
 * Packages declare `"sideEffects": false`, so skipping a barrel's other modules is what esbuild
 * already does for the names no one imports. Anything not a plain named re-export is left alone.
 */
function barrelFlattener(resolve, barrels) {
  /** The barrel's names → { path, name } of the defining module (following barrels of barrels), or null if `file` is no barrel. */
  const barrel = async (file) => {
    if (barrels.has(file)) return barrels.get(file);
    const pending = (async () => {
      const source = await readFile(file, 'utf8');
      if (
        source
          .replace(REEXPORT, '')
          .replace(/\/\/.*$/gm, '')
          .trim() !== ''
      )
        return null;
      const names = new Map();
      for (const m of source.matchAll(REEXPORT)) {
        const target = await resolve(m[2], dirname(file));
        if (!target) return null;
        for (const c of clauses(m[1])) {
          if (!c) return null;
          names.set(c[1], { path: target, name: c[0] });
        }
      }
      return names;
    })();
    barrels.set(file, pending);
    return pending;
  };
  /** Where `name` exported by `path` is defined (after every barrel), or undefined. */
  const definition = async (path, name, depth = 0) => {
    const names = await barrel(path);
    if (names === null) return { path, name };
    const next = names.get(name);
    return next && depth < 8 ? definition(next.path, next.name, depth + 1) : undefined;
  };
  return async (source, file) => {
    const replacements = [];
    for (const m of source.matchAll(NAMED_IMPORT)) {
      const target = await resolve(m[2], dirname(file));
      if (!target || (await barrel(target)) === null) continue;
      const imported = clauses(m[1]);
      const defined = await Promise.all(imported.map((c) => (c ? definition(target, c[0]) : undefined)));
      if (defined.some((d) => d === undefined)) continue;
      const statements = imported.map(([, local], i) => `import { ${defined[i].name} as ${local} } from ${JSON.stringify(defined[i].path)};`);
      replacements.push([m.index, m[0].length, statements.join(' ')]);
    }
    let out = source;
    for (const [index, length, text] of replacements.reverse()) out = out.slice(0, index) + text + out.slice(index + length);
    return out;
  };
}

/** An SDK package's own package.json, which its client modules import for the version they put in the user agent. */
const SDK_PACKAGE_JSON = /[\\/]node_modules[\\/]@(aws-sdk|smithy)[\\/][^\\/]+[\\/]package\.json$/;

/**
 * The SDK's modules as {@link inlineSchemaKeys} and {@link barrelFlattener} rewrite them; and the
 * package.json a client imports (`import packageInfo from "../package.json"`, for
 * `packageInfo.version` alone) as its name and version only: esbuild cannot drop the unused fields
 * of a default-imported JSON object, 2.4 KB of scripts, exports and dependencies per client.
 */
/**
 * What {@link sdkModulesPlugin} learns of the SDK's files, kept for every build of this process
 * that resolves modules the same way (`cdk synth` and the bundle test build every function, over
 * the same SDK files): resolutions, barrels and rewritten sources, per resolution setup.
 */
const sdkModuleCaches = new Map();
function sdkModuleCache(options) {
  const { external, mainFields, conditions, platform, format } = options;
  const key = JSON.stringify({ external, mainFields, conditions, platform, format });
  if (!sdkModuleCaches.has(key)) sdkModuleCaches.set(key, { resolved: new Map(), barrels: new Map(), sources: new Map(), errorModules: new Map() });
  return sdkModuleCaches.get(key);
}

const sdkModulesPlugin = {
  name: 'sdk-modules',
  setup(b) {
    const cache = sdkModuleCache(b.initialOptions);
    b.onResolve({ filter: /^(\.\.?\/)+package\.json$/ }, async (args) => {
      if (!SDK_MODULE.test(args.importer) || args.pluginData === 'sdk-modules') return undefined;
      const r = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'sdk-modules' });
      return r.errors.length === 0 && SDK_PACKAGE_JSON.test(r.path) ? { path: r.path, namespace: 'sdk-package-json' } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'sdk-package-json' }, async (args) => {
      const { name, version } = JSON.parse(await readFile(args.path, 'utf8'));
      return { contents: JSON.stringify({ name, version }), loader: 'json' };
    });
    const resolveFrom = (specifier, resolveDir) => {
      const key = `${resolveDir}\0${specifier}`;
      if (!cache.resolved.has(key)) {
        cache.resolved.set(
          key,
          b
            .resolve(specifier, { kind: 'import-statement', resolveDir })
            .then((r) => (r.errors.length === 0 && !r.external && r.namespace === 'file' && /\.js$/.test(r.path) ? r.path : undefined)),
        );
      }
      return cache.resolved.get(key);
    };
    const flatten = barrelFlattener(resolveFrom, cache.barrels);
    const rewrite = async (path) => {
      let source = await readFile(path, 'utf8');
      if (SCHEMA_MODULE.test(path)) {
        const split = splitErrorSchemas(source, path);
        if (split) {
          source = split.main;
          cache.errorModules.set(path, flatten(inlineSchemaKeys(split.errors), path));
        }
        source = inlineSchemaKeys(source);
      }
      if (ERRORS_MODULE.test(path)) source = compactErrorClasses(source);
      if (DESERIALIZATION_MIDDLEWARE.test(path)) source = loadBeforeErrors(source, path);
      return flatten(source, path);
    };
    const rewritten = (path) => {
      if (!cache.sources.has(path)) cache.sources.set(path, rewrite(path));
      return cache.sources.get(path);
    };
    b.onLoad({ filter: SDK_MODULE, namespace: 'file' }, async (args) => ({
      contents: await rewritten(args.path),
      loader: 'js',
      resolveDir: dirname(args.path),
    }));
    b.onResolve({ filter: new RegExp(`^${ERROR_REGISTRIES}$`) }, (args) => ({ path: args.path, namespace: 'sdk-error-registries' }));
    b.onLoad({ filter: /.*/, namespace: 'sdk-error-registries' }, () => ({ contents: ERROR_REGISTRIES_MODULE, loader: 'js' }));
    b.onResolve({ filter: new RegExp(`${LAZY_ERRORS_SUFFIX.replace('?', '\\?')}$`) }, (args) => ({
      path: args.path.slice(0, -LAZY_ERRORS_SUFFIX.length),
      namespace: 'sdk-modelled-errors',
    }));
    b.onLoad({ filter: /.*/, namespace: 'sdk-modelled-errors' }, async (args) => {
      await rewritten(args.path);
      return { contents: await cache.errorModules.get(args.path), loader: 'js', resolveDir: dirname(args.path) };
    });
  },
};

/** What the credential chain is import()ed as (the chain from the bundle's first link, its links from the chain): built apart ({@link credentialLinksPlugin}). */
const CREDENTIAL_LINK =
  /^(@aws-sdk\/credential-provider-[a-z-]+|@smithy\/credential-provider-imds|@aws-sdk\/nested-clients\/[a-z-]+|\.\/load[A-Za-z]+(\.js)?)$/;

/** The packages of credential providers, whose `./loadSts`-style import()s load the clients they call. */
const CREDENTIAL_PACKAGE = /[\\/]node_modules[\\/]@aws-sdk[\\/](credential-provider|token-providers)[^\\/]*[\\/]/;

/**
 * File name (no extension) of a credential link's own bundle: the package and a hash of the file's
 * path inside node_modules (two SDK versions may both be installed; the same on every machine).
 */
const linkName = (specifier, resolved) => {
  const inPackages = resolved
    .split(/[\\/]node_modules[\\/]/)
    .slice(1)
    .join('/node_modules/');
  return `credentials-${specifier.replace(/^@[^/]+\/|^\.\/|\.js$/g, '').replace(/[^a-z0-9]+/gi, '-')}-${createHash('sha256').update(inPackages).digest('hex').slice(0, 8)}`;
};

/** Marks those import()s external (`./credentials-*.mjs`), recording them in `links` (name → resolved path) for the second pass. */
function credentialLinksPlugin(links) {
  return {
    name: 'credential-links',
    setup(b) {
      b.onResolve({ filter: CREDENTIAL_LINK }, async (args) => {
        if (args.kind !== 'dynamic-import' || args.pluginData === 'credential-links') return undefined;
        if (args.path.startsWith('./') && !CREDENTIAL_PACKAGE.test(args.importer)) return undefined;
        const resolved = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'credential-links' });
        if (resolved.errors.length > 0 || resolved.external) return undefined;
        const name = linkName(args.path, resolved.path);
        links.set(name, resolved.path);
        return { path: `./${name}.mjs`, external: true };
      });
    },
  };
}

/**
 * The first link of the default credential chain, as credential-provider-node writes it (the
 * version whose chain {@link credentialChainPlugin} mirrors: `init.profile` or AWS_PROFILE skips
 * the environment). Another version is bundled as it is.
 */
const ENV_FIRST_LINK =
  /const profile = init\.profile \?\? process\.env\[ENV_PROFILE\];\s*if \(profile\) \{[\s\S]*?init\.logger\?\.debug\("@aws-sdk\/credential-provider-node - defaultProvider::fromEnv"\);\s*return fromEnv\(init\)\(\);/;

/**
 * The default chain as clients import it (`defaultProvider`), for a Lambda cold start: the chain's
 * first link in the bundle, the whole chain (credential-provider-node itself, unchanged) loaded
 * only when that link would pass. The link is the chain's own: the environment's key and secret
 * (what Lambda sets), unless a profile is named, in which case the chain's first link passes too
 * and the whole chain decides. So a client gets the credentials the chain would give it, in the
 * chain's order; only the chain's code waits until some environment needs it.
 */
const CREDENTIAL_CHAIN_SHIM = `
import { fromEnv } from "@aws-sdk/credential-provider-env";
export const defaultProvider = (init = {}) => {
  let chain;
  return async (awsIdentityProperties) => {
    if (!(init.profile ?? process.env.AWS_PROFILE) && process.env.AWS_ACCESS_KEY_ID && process.env.AWS_SECRET_ACCESS_KEY) {
      init.logger?.debug("@aws-sdk/credential-provider-node - defaultProvider::fromEnv");
      return fromEnv(init)();
    }
    chain ??= import("@aws-sdk/credential-provider-node").then((m) => m.defaultProvider(init));
    return (await chain)(awsIdentityProperties);
  };
};
`;

/** Clients' static import of the default chain → {@link CREDENTIAL_CHAIN_SHIM}, where the installed chain is the one it mirrors. */
const credentialChainPlugin = {
  name: 'credential-chain',
  setup(b) {
    // By name, or by file: the barrel flattener points clients' imports at defaultProvider.js itself.
    b.onResolve(
      { filter: /^@aws-sdk\/credential-provider-node$|[\\/]@aws-sdk[\\/]credential-provider-node[\\/]dist-es[\\/]defaultProvider\.js$/ },
      async (args) => {
        if (args.kind !== 'import-statement' || args.pluginData === 'credential-chain') return undefined;
        const r = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'credential-chain' });
        if (r.errors.length > 0 || r.external) return undefined;
        const chain = await readFile(join(dirname(r.path), 'defaultProvider.js'), 'utf8').catch(() => '');
        return ENV_FIRST_LINK.test(chain) ? { path: r.path, namespace: 'credential-chain' } : undefined;
      },
    );
    b.onLoad({ filter: /.*/, namespace: 'credential-chain' }, (args) => ({ contents: CREDENTIAL_CHAIN_SHIM, loader: 'js', resolveDir: dirname(args.path) }));
  },
};

/** The multi-Region signer as clients import it: by name, or by file (the barrel flattener points imports at the defining module). */
const MULTI_REGION_SIGNER =
  /^@aws-sdk\/signature-v4-multi-region$|[\\/]@aws-sdk[\\/]signature-v4-multi-region[\\/]dist-es[\\/](index|SignatureV4MultiRegion)\.js$/;

/**
 * The multi-Region signer for a Lambda cold start. Clients whose endpoints may ask for SigV4a
 * (EventBridge global endpoints, STS) construct `SignatureV4MultiRegion`, which signs SigV4 itself
 * and hands the rare request signed for every Region (`signingRegion` "*") to a SigV4a signer. This
 * class signs SigV4 with the same signer the real one uses (SignatureV4SignWithCredentials, over
 * the same options), and loads the real class, whose SigV4a paths and their long messages are 6 KB,
 * the first time a request asks for "*". `sigv4aDependency` reads the same containers as the real
 * one: no SigV4a implementation is bundled, so it says "none", and endpoints fall back to SigV4.
 */
const MULTI_REGION_SIGNER_SHIM = (dir) => `
import { signatureV4aContainer } from "@smithy/signature-v4";
import { signatureV4CrtContainer } from ${JSON.stringify(join(dir, 'signature-v4-crt-container.js'))};
import { SignatureV4SignWithCredentials } from ${JSON.stringify(join(dir, 'SignatureV4SignWithCredentials.js'))};
export class SignatureV4MultiRegion {
  static sigv4aDependency() {
    if (typeof signatureV4CrtContainer.CrtSignerV4 === "function") return "crt";
    if (typeof signatureV4aContainer.SignatureV4a === "function") return "js";
    return "none";
  }
  constructor(options) {
    this.sigv4Signer = new SignatureV4SignWithCredentials(options);
    this.signerOptions = options;
  }
  everyRegion() {
    this.multiRegion ??= import(${JSON.stringify(join(dir, 'SignatureV4MultiRegion.js'))}).then((m) => new m.SignatureV4MultiRegion(this.signerOptions));
    return this.multiRegion;
  }
  async sign(request, options = {}) {
    return options.signingRegion === "*" ? (await this.everyRegion()).sign(request, options) : this.sigv4Signer.sign(request, options);
  }
  async signWithCredentials(request, credentials, options = {}) {
    return options.signingRegion === "*" ? (await this.everyRegion()).signWithCredentials(request, credentials, options) : this.sigv4Signer.signWithCredentials(request, credentials, options);
  }
  async presign(request, options = {}) {
    return options.signingRegion === "*" ? (await this.everyRegion()).presign(request, options) : this.sigv4Signer.presign(request, options);
  }
  async presignWithCredentials(request, credentials, options = {}) {
    return options.signingRegion === "*" ? (await this.everyRegion()).presignWithCredentials(request, credentials, options) : this.sigv4Signer.presignWithCredentials(request, credentials, options);
  }
}
`;

/**
 * mnemonist's `LRUCache` as `@aws-sdk/endpoint-cache` uses it: `get` (most recent after), `set`
 * (most recent after; the least recent goes when the capacity is passed), `has`, `peek` (order
 * unchanged) and `clear`. A Map keeps insertion order: the first key is the least recent.
 * test/lib/bundles.test.ts runs the same operations on both and compares.
 */
export const LRU_CACHE_SHIM = `
export default class LRUCache {
  constructor(capacity) {
    if (typeof capacity !== "number" || capacity <= 0) throw new Error("mnemonist/lru-cache: capacity should be positive number.");
    this.capacity = capacity;
    this.items = new Map();
  }
  get size() {
    return this.items.size;
  }
  has(key) {
    return this.items.has(key);
  }
  peek(key) {
    return this.items.get(key);
  }
  get(key) {
    if (!this.items.has(key)) return undefined;
    const value = this.items.get(key);
    this.items.delete(key);
    this.items.set(key, value);
    return value;
  }
  set(key, value) {
    this.items.delete(key);
    this.items.set(key, value);
    if (this.items.size > this.capacity) this.items.delete(this.items.keys().next().value);
    return this;
  }
  clear() {
    this.items.clear();
  }
}
`;

/** The LRU methods the endpoint cache may call for the shim to stand in. */
const LRU_METHODS = new Set(['get', 'set', 'has', 'peek', 'clear']);

/** `mnemonist/lru-cache` as `@aws-sdk/endpoint-cache` imports it → {@link LRU_CACHE_SHIM}, when the cache calls nothing else of it. */
const lruCachePlugin = {
  name: 'lru-cache',
  setup(b) {
    b.onResolve({ filter: /^mnemonist\/lru-cache(\.js)?$/ }, async (args) => {
      if (!/[\\/]@aws-sdk[\\/]endpoint-cache[\\/]dist-es[\\/]EndpointCache\.js$/.test(args.importer)) return undefined;
      const cache = await readFile(args.importer, 'utf8').catch(() => '');
      const called = [...cache.matchAll(/this\.cache\.(\w+)\(/g)].map((m) => m[1]);
      if (called.length === 0 || !called.every((m) => LRU_METHODS.has(m))) return undefined;
      return { path: args.importer, namespace: 'lru-cache' };
    });
    b.onLoad({ filter: /.*/, namespace: 'lru-cache' }, () => ({ contents: LRU_CACHE_SHIM, loader: 'js' }));
  },
};

/** Clients' static import of the multi-Region signer → {@link MULTI_REGION_SIGNER_SHIM}, where the installed package has the modules it builds on. */
const multiRegionSignerPlugin = {
  name: 'multi-region-signer',
  setup(b) {
    b.onResolve({ filter: MULTI_REGION_SIGNER }, async (args) => {
      if (args.kind !== 'import-statement' || args.namespace === 'multi-region-signer' || args.pluginData === 'multi-region-signer') return undefined;
      const r = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'multi-region-signer' });
      if (r.errors.length > 0 || r.external) return undefined;
      const dir = dirname(r.path);
      const real = await readFile(join(dir, 'SignatureV4MultiRegion.js'), 'utf8').catch(() => '');
      // The shim mirrors this version's class: its signer for SigV4, and "*" for SigV4a.
      const mirrors = /this\.sigv4Signer = new SignatureV4SignWithCredentials\(options\)/.test(real) && /options\.signingRegion === "\*"/.test(real);
      return mirrors ? { path: join(dir, 'SignatureV4MultiRegion.js'), namespace: 'multi-region-signer' } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'multi-region-signer' }, (args) => ({
      contents: MULTI_REGION_SIGNER_SHIM(dirname(args.path)),
      loader: 'js',
      resolveDir: dirname(args.path),
    }));
  },
};

/**
 * Builds one function as deployed: the main pass (entry `index.mjs`, its chunks) and, if the
 * bundle reaches the SDK's credential chain, the pass of its lazy links into the same `outdir`.
 * Returns both passes' metafiles when `options.metafile` is set.
 */
export async function buildFunction(options) {
  const links = new Map();
  const main = await build({
    ...options,
    plugins: [lruCachePlugin, multiRegionSignerPlugin, sdkModulesPlugin, credentialChainPlugin, credentialLinksPlugin(links)],
  });
  let credentials;
  if (links.size > 0) {
    credentials = await build({
      ...options,
      entryPoints: Object.fromEntries(links),
      chunkNames: 'chunk-credentials-[hash]',
      plugins: [sdkModulesPlugin],
    });
  }
  return { main, credentials, links: [...links.keys()].map((name) => `${name}.mjs`) };
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const options = JSON.parse(Buffer.from(process.argv[2] ?? '', 'base64').toString('utf8'));
  if (typeof options.outdir !== 'string') throw new Error('bundle-function: no outdir in the options');
  for (const file of readdirSync(options.outdir)) {
    if (/\.mjs(\.map)?$/.test(file)) rmSync(join(options.outdir, file));
  }
  await buildFunction(options);
}
