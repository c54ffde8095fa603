/* sigv4.c: placeholder until its module lands. */
