import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { JobsProvider } from './jobs.js';
import { SessionsProvider } from './session.js';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <SessionsProvider>
      <JobsProvider>
        <App />
      </JobsProvider>
    </SessionsProvider>
  </StrictMode>,
);
