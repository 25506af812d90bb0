/** Vite's `?raw` imports (a file's text as a string), used by tests that read example definitions. */
declare module "*?raw" {
  const text: string;
  export default text;
}
