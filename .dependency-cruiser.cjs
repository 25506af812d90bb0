/**
 * The architecture check (`npm test` runs it first; `npm run check:architecture` runs it alone): no import cycle
 * anywhere, and the two rules of the layering in docs/architecture.md#layers that a cycle check alone would not
 * catch early. Type-only imports count (tsPreCompilationDeps): a cycle through types still ties the modules'
 * meaning together.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle (type-only imports included). Move the shared piece below both sides; see docs/architecture.md#layers.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'compiled-bundle-is-data',
      severity: 'error',
      comment:
        'The compiled bundle (src/deploy/compiled-*.ts) is data below the request context: executors that read the context (integrations, authorizers) are built by the pipeline steps that run them, never by the bundle.',
      from: { path: '^src/deploy/compiled-' },
      to: { path: '^src/pipeline/context\\.ts$', reachable: true },
    },
    {
      name: 'durable-objects-type-their-own-env',
      severity: 'error',
      comment:
        "src/env.ts is the Worker's composition (it names the object classes): an object, and the src modules it uses, take their own narrow env types (durable-objects/<name>/env.ts).",
      from: { path: '^durable-objects/' },
      to: { path: '^src/env\\.ts$', reachable: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^bench/out/', '^node_modules/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs', '.d.ts', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
