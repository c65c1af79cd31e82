/** Vite bundles CSS imported from components (uPlot's stylesheet). */
declare module '*.css';
