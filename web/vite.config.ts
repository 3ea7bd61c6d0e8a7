import { defineConfig } from 'vite';

// The build is embedded in the Rust server binary: relative asset paths, everything bundled,
// nothing loaded from other origins at run time.
export default defineConfig({
  base: './',
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    sourcemap: false,
    chunkSizeWarningLimit: 2000,
    reportCompressedSize: false,
  },
  server: {
    // `npm run dev` with the mock running (npm run mock with PORT=8080) proxies the API to it.
    proxy: { '/api': { target: `http://127.0.0.1:${process.env.MOCK_PORT || 8080}` } },
  },
});
