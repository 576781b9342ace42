/** How many file operations a bundle reader or writer keeps in flight. */
export const IO_CONCURRENCY = 64;
