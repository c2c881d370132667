/* A corpus of bad case files, one per way a file can be wrong, each with the
 * text its error message must contain. Shared by t-bad-input (library level)
 * and, through `t_bad_input --write-corpus DIR`, the CLI-level test. */
#ifndef ATTNREF_TESTS_IO_BAD_CORPUS_H
#define ATTNREF_TESTS_IO_BAD_CORPUS_H

#include "src/tensor.h"

typedef struct bad_file {
  const char *name; /* file is DIR/<name>.safetensors */
  const char *says; /* the message must contain this (names the tensor) */
  int variant;      /* 1: a good case changed, written by the library */
} bad_file;

/* The corpus entries, and their count. */
extern const bad_file bad_corpus[];
extern const int bad_corpus_count;

/* A small valid case touching every tensor kind (layernorm, MLP, xent);
 * returns 0 on success. */
int good_case(ar_tensorset *s);

/* Writes every corpus file into dir (which must exist); returns the number
 * of files that could not be written. */
int write_bad_corpus(const char *dir);

#endif
