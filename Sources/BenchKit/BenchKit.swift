import DoctorCore
