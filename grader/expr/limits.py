"""Bounds on untrusted formulas, so that no input can make the grader hang or blow up."""

MAX_LENGTH = 2000        # characters of a student's formula
MAX_TOKENS = 600         # tokens after scanning
MAX_DEPTH = 60           # nesting of parentheses, unary signs, powers, calls
MAX_EXPONENT = 1000      # |k| in x^k when k is a number (symbolic bases)
MAX_NUMBER_EXP10 = 300   # constants must stay below 1e300 (no 9^9^9^9)
MAX_MATRIX_POWER = 20    # A^k for square matrices
SYMBOLIC_MAX_NODES = 160 # larger formulas skip the symbolic check (numeric sampling decides)
SYMBOLIC_MAX_POWER = 12  # (...)^k with k larger than this is never expanded symbolically
SYMBOLIC_MAX_DEGREE = 24 # estimated degree above which expand/cancel are skipped
SYMBOLIC_SECONDS = 1.0   # time budget of the symbolic check (where a timer is available)
