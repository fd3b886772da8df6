// Browser entry: mounts the Svelte shell. No CRDT logic lives on this thread
// (DESIGN §1); the replica runs in a module worker reached through
// src/ui/replica-client.ts.
import { mount } from 'svelte';
import App from './App.svelte';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

export default mount(App, { target });
