"""airace.demo_site"""
