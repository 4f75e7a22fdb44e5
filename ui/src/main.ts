import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { tauriBackend } from './lib/ipc';
import { AppState } from './lib/shell/app.svelte';

const target = document.getElementById('app');
if (!target) throw new Error('index.html lacks #app');

export default mount(App, { target, props: { app: new AppState(tauriBackend) } });
