import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { SessionsProvider } from './session.js';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <SessionsProvider>
      <App />
    </SessionsProvider>
  </StrictMode>,
);
