"""Learning: lesson progress, quizzes, completions and certificates."""
