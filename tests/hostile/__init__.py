"""Submissions for the batch and hostile-submission tests, built at test time from the solutions."""
