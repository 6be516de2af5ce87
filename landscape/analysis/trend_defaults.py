"""The defaults of every trend view, in one place: the API, ``landscape trends`` and the trends
notebook (whose ``window = None`` means ``DEFAULT_WINDOW``) all read them from here.

No imports, so the command line can show them in its help without loading numpy.
"""

DEFAULT_FREQ = "year"  # time bins
DEFAULT_WINDOW = 5  # growth is fitted over the last 5 complete bins
DEFAULT_TOP = 10  # rows per list and items per chart
DEFAULT_S = 2.0  # Kleinberg burst rate multiplier: a burst doubles the usual share
DEFAULT_GAMMA = 1.0  # Kleinberg cost of entering a burst (x ln of the number of bins)
