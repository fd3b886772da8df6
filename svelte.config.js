// Svelte compiler settings for the UI: runes mode everywhere (STYLE rule 12)
// and TypeScript in <script lang="ts"> through Vite.
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

export default {
  preprocess: vitePreprocess(),
  compilerOptions: { runes: true },
};
