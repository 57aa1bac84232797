// Node has no import maps: resolves the hook's `import … from "react"` to fake-react.mjs.
export async function resolve(specifier, context, next) {
  return specifier === "react"
    ? { url: new URL("./fake-react.mjs", import.meta.url).href, shortCircuit: true }
    : next(specifier, context);
}
