// The web UI's entry point (served at /ui/ by the API, src/api/ui-routes.ts): routes `#/` to the pods list and
// `#/pods/<namespace>/<name>` to a pod's timeline, and asks for the API token when a request is refused.
import './app.css';
import { ApiClient } from './api.ts';
import { h } from './dom.ts';
import { mountPodsView, type Filters } from './pods-view.ts';
import { mountTimelineView } from './timeline-view.ts';

const main = document.getElementById('main')!;
const conn = document.getElementById('conn')!;
const dialog = document.getElementById('token-dialog') as HTMLDialogElement;
const tokenForm = document.getElementById('token-form') as HTMLFormElement;
const tokenInput = document.getElementById('token-input') as HTMLInputElement;
const tokenReason = document.getElementById('token-reason')!;

function askToken(reason: string): Promise<string> {
  tokenReason.textContent = reason;
  tokenInput.value = '';
  dialog.showModal();
  tokenInput.focus();
  return new Promise((resolve) => {
    const onSubmit = (e: SubmitEvent): void => {
      e.preventDefault();
      if (tokenInput.value.trim() === '') return;
      tokenForm.removeEventListener('submit', onSubmit);
      dialog.close();
      resolve(tokenInput.value.trim());
    };
    tokenForm.addEventListener('submit', onSubmit);
  });
}

const client = new ApiClient(askToken);
let current: AbortController | undefined;
let filters: Filters = { labelSelector: '', phase: '' };

const setStatus = (text: string): void => {
  conn.textContent = text;
  conn.dataset.state = text === 'live' ? 'live' : 'reconnecting';
};

function route(): void {
  current?.abort();
  current = new AbortController();
  const path = location.hash.replace(/^#/, '') || '/';
  const pod = /^\/pods\/([^/]+)\/([^/]+)$/.exec(path);
  if (pod) {
    const [ns, name] = [decodeURIComponent(pod[1]!), decodeURIComponent(pod[2]!)];
    document.title = `${ns}/${name} · podflow`;
    mountTimelineView(main, client, ns, name, setStatus, current.signal);
  } else {
    document.title = 'Pods · podflow';
    mountPodsView(
      main,
      client,
      filters,
      (f) => {
        filters = f;
        route();
      },
      setStatus,
      current.signal,
    );
  }
  main.focus({ preventScroll: true });
}

window.addEventListener('hashchange', route);
if (!document.getElementById('main')) document.body.append(h('main', { id: 'main' }));
route();
