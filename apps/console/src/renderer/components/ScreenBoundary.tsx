import { Component, type ReactNode } from 'react';
import { Problem } from './Problem.js';

/**
 * A screen that throws shows what went wrong in its place, and the rest of the console (navigation,
 * sessions) stays; the next screen opened starts afresh.
 */
export class ScreenBoundary extends Component<{ screen: string; children: ReactNode }, { error: Error | null; screen: string }> {
  override state = { error: null as Error | null, screen: this.props.screen };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  static getDerivedStateFromProps(props: { screen: string }, state: { error: Error | null; screen: string }) {
    return props.screen === state.screen ? null : { error: null, screen: props.screen };
  }

  override render() {
    if (this.state.error) return <Problem error={{ code: 'INTERNAL', message: `This screen failed (${this.state.error.message}); pick another on the left, or go back.` }} />;
    return this.props.children;
  }
}
