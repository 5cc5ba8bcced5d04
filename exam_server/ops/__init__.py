"""Operations: backup and restore, the end-of-exam archive and wipe."""
