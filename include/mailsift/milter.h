/* The libmilter front end of the pipeline. */
#ifndef MAILSIFT_MILTER_H
#define MAILSIFT_MILTER_H

/* Registers the callbacks with libmilter; -1 on failure. */
int milter_register(void);
/* Connections between connect and close right now. */
int milter_active_connections(void);

#endif
