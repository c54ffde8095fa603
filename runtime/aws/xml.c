/* xml.c: placeholder until its module lands. */
