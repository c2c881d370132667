/* placeholder until written; see its header */
