import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

// dist/.keep is committed so that the Go package's go:embed compiles without a build; Vite
// empties dist, so put it back.
const keep: Plugin = {
  name: 'keep-placeholder',
  closeBundle() {
    writeFileSync(resolve(__dirname, 'dist/.keep'), '');
  },
};

export default defineConfig({
  plugins: [react(), keep],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      output: {
        manualChunks: {
          react: ['react', 'react-dom', 'react-router-dom'],
          antd: ['antd', '@ant-design/icons'],
          echarts: ['echarts/core', 'echarts/charts', 'echarts/components', 'echarts/renderers'],
        },
      },
    },
  },
  server: {
    proxy: {
      '/api': 'http://localhost:8080',
      '/platform/v1': 'http://localhost:8080',
    },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
} as any);
