import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { defineConfig, type Plugin } from "vite";

// The service worker (src/sw.js) is emitted as /app/sw.js, unhashed (its URL must stay the
// same), with the list of the build's files to cache as the app shell and a version that
// changes with them, so a new build installs a new worker that drops the old cache.
function serviceWorker(): Plugin {
  return {
    name: "jobtinder-service-worker",
    apply: "build",
    generateBundle(_options, bundle) {
      const files = Object.keys(bundle).filter((name) => !name.endsWith(".map"));
      const shell = ["./", ...files.map((name) => "./" + name), "./manifest.webmanifest", "./icon.svg", "./icon-192.png"];
      const version = createHash("sha256").update(files.sort().join("\n")).digest("hex").slice(0, 12);
      const source = readFileSync(new URL("./src/sw.js", import.meta.url), "utf8")
        .replace("self.__SHELL__", JSON.stringify(shell))
        .replace("self.__VERSION__", JSON.stringify(version));
      this.emitFile({ type: "asset", fileName: "sw.js", source });
    },
  };
}

export default defineConfig({
  base: "/app/",
  plugins: [serviceWorker()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    assetsInlineLimit: 0, // no data: URLs for assets (CSP and caching stay simple)
    modulePreload: { polyfill: false },
  },
  server: { proxy: { "/api": "http://127.0.0.1:8000", "/media": "http://127.0.0.1:8000" } },
});
