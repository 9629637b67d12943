// `pnpm console:size`: the gzipped JavaScript a first visit to each console page loads (the
// entry chunk, the page's chunk and every chunk they import statically; parts a page loads
// lazily after it shows, such as its charts, are not counted), from the production
// build in web/dist (run `pnpm --filter @free-agent/web build` first). Prints one line per page
// and the largest; the budget is 300 KB (issue 14). CSS is listed apart.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

interface ManifestChunk {
  file: string;
  isEntry?: boolean;
  isDynamicEntry?: boolean;
  imports?: string[];
  css?: string[];
}

export interface PageLoad {
  /** The page's source module (e.g. src/pages/builds/BuildsPage.tsx). */
  page: string;
  /** The JavaScript files a first visit loads. */
  files: string[];
  /** Their gzipped size, added up (bytes). */
  gzipBytes: number;
  /** The CSS files it loads, gzipped and added up (bytes). */
  cssGzipBytes: number;
}

/**
 * What a first visit to each route page (`<Name>Page.tsx` under src/pages, loaded by the router) of
 * the built console loads, read from
 * `<distDir>/.vite/manifest.json`; throws when the build or its manifest is missing.
 */
export function initialLoads(distDir: string): PageLoad[] {
  const manifest = JSON.parse(readFileSync(path.join(distDir, '.vite', 'manifest.json'), 'utf8')) as Record<string, ManifestChunk>;
  const entry = Object.keys(manifest).find((key) => manifest[key].isEntry);
  if (!entry) throw new Error('the manifest names no entry chunk');
  const closure = (key: string, seen = new Set<string>()) => {
    if (seen.has(key)) return seen;
    seen.add(key);
    for (const imported of manifest[key].imports ?? []) closure(imported, seen);
    return seen;
  };
  const gzipped = (file: string) => gzipSync(readFileSync(path.join(distDir, file)), { level: 9 }).length;
  return Object.keys(manifest)
    .filter((key) => manifest[key].isDynamicEntry && /^src\/pages\/.*Page\.tsx$/.test(key))
    .map((page) => {
      const chunks = [...closure(page, closure(entry))];
      const files = chunks.map((key) => manifest[key].file);
      const css = [...new Set(chunks.flatMap((key) => manifest[key].css ?? []))];
      return {
        page,
        files,
        gzipBytes: files.reduce((sum, file) => sum + gzipped(file), 0),
        cssGzipBytes: css.reduce((sum, file) => sum + gzipped(file), 0),
      };
    })
    .sort((a, b) => b.gzipBytes - a.gzipBytes);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const distDir = fileURLToPath(new URL('../web/dist', import.meta.url));
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  const loads = initialLoads(distDir);
  for (const load of loads) {
    console.log(
      `${load.page.padEnd(44)} JS ${kb(load.gzipBytes).padStart(9)} gzipped (${load.files.length} files), CSS ${kb(load.cssGzipBytes)}`,
    );
  }
  console.log(`largest first load: ${kb(loads[0].gzipBytes)} of JavaScript gzipped (budget 300 KB)`);
}
