"""Support requests: filed by anyone, answered by the support desk within its deadlines."""
