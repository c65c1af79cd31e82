import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import type { Progress } from '../api/call.js';
import { ProgressBar } from './components/ProgressBar.js';

interface Job {
  id: number;
  label: string;
  progress: Progress | null;
  cancel: () => void;
}

interface Jobs {
  jobs: Job[];
  /** a job started: returns how to report its progress and its end */
  start(label: string, cancel: () => void): { progress: (p: Progress) => void; end: () => void };
}

const JobsContext = createContext<Jobs | null>(null);
let nextJob = 1;

/** Jobs running anywhere in the console, so one started on a screen stays in view (and cancellable) when the person moves on. */
export function JobsProvider({ children }: { children: ReactNode }) {
  const [jobs, setJobs] = useState<Job[]>([]);
  const start = useCallback((label: string, cancel: () => void) => {
    const id = nextJob++;
    setJobs((all) => [...all, { id, label, progress: null, cancel }]);
    return {
      progress: (p: Progress) => setJobs((all) => all.map((j) => (j.id === id ? { ...j, progress: p } : j))),
      end: () => setJobs((all) => all.filter((j) => j.id !== id)),
    };
  }, []);
  const value = useMemo(() => ({ jobs, start }), [jobs, start]);
  return <JobsContext.Provider value={value}>{children}</JobsContext.Provider>;
}

export function useJobs(): Jobs {
  const j = useContext(JobsContext);
  if (!j) throw new Error('useJobs outside JobsProvider');
  return j;
}

/** The running jobs, with progress and cancel, whatever screen is open. */
export function JobTray() {
  const { jobs } = useJobs();
  if (jobs.length === 0) return null;
  return (
    <section className="job-tray" aria-label="Running jobs">
      {jobs.map((j) => (
        <div key={j.id} className="job">
          <ProgressBar progress={j.progress} label={j.label} />
          <button type="button" onClick={j.cancel} aria-label={`Cancel ${j.label}`}>
            Cancel
          </button>
        </div>
      ))}
    </section>
  );
}
