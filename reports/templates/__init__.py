"""reports.templates"""
