/** The embedded default bundle: `.portico/embedded-bundle.json`, written by `portico embed`. */
declare module "@portico/embedded-bundle" {
  const embedded: unknown;
  export default embedded;
}
